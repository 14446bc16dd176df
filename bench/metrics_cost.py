"""What Prometheus metrics cost: the example project's ``/hello/`` (a Django view) under
UvicornWSGIServer and GunicornServer, with ``metrics-bind`` against without, the same
server, workers and logging otherwise; interleaved rounds, paired ratios.

    python bench/metrics_cost.py [--rounds 12] [--seconds 5] [--backend NAME ...]

Target (issue 16): with metrics >= 0.97x without, on each backend.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from publish import save_results
from tooling import (
    ensure_wrk,
    free_port,
    launched,
    medians,
    paired_ratio,
    prodserver_command,
    project_env,
    wrk_requests_per_second,
)

WARM_UP_SECONDS = 1
TARGET = 0.97
BACKEND = "django_prodserver.backends"
#: backend -> (its class, ARGS): one worker each, no access lines (the same both ways).
BACKENDS: dict[str, tuple[str, dict[str, Any]]] = {
    "UvicornWSGIServer": (f"{BACKEND}.uvicorn.UvicornWSGIServer", {"no-access-log": True}),
    "GunicornServer": (f"{BACKEND}.gunicorn.GunicornServer", {"worker-class": "gthread"}),
}


def processes(port: int, metrics_port: int, names: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in names:
        backend, args = BACKENDS[name]
        if "gunicorn" in backend:
            address: dict[str, Any] = {"bind": f"127.0.0.1:{port}"}
        else:
            address = {"host": "127.0.0.1", "port": port}
        found[f"{name}-off"] = {"BACKEND": backend, "ARGS": {**address, **args}}
        found[f"{name}-metrics"] = {
            "BACKEND": backend,
            "ARGS": {**address, **args, "metrics-bind": f"127.0.0.1:{metrics_port}"},
        }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=12, help="a round moves by a few %% on a VM: take many"
    )
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--backend",
        action="append",
        choices=list(BACKENDS),
        help="measure only this backend (repeatable; default: each)",
    )
    options = parser.parse_args()
    names = options.backend or list(BACKENDS)

    wrk = ensure_wrk()
    port, metrics_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}/hello/"
    configured = processes(port, metrics_port, names)
    env = project_env(configured)
    results: dict[str, list[float]] = {name: [] for name in configured}
    for round_number in range(1, options.rounds + 1):
        order = list(configured)
        random.shuffle(order)
        for name in order:
            with launched(prodserver_command(name), url, env):
                wrk_requests_per_second(wrk, url, WARM_UP_SECONDS, options.connections)
                results[name].append(
                    wrk_requests_per_second(wrk, url, options.seconds, options.connections)
                )
        print(f"round {round_number} of {options.rounds} done", flush=True)

    rates = medians(results)
    print(
        f"\n/hello/ (a Django view), 1 worker, wrk -t1 -c{options.connections}, "
        f"{options.rounds} rounds of {options.seconds}s:\n"
    )
    print("| backend | req/s without | req/s with metrics | ratio, median (range) | target |")
    print("|---|---|---|---|---|")
    ratios = {}
    for name in names:
        ratio = paired_ratio(results[f"{name}-metrics"], results[f"{name}-off"])
        verdict = "met" if ratio.median >= TARGET else "MISSED"
        print(
            f"| {name} | {rates[f'{name}-off']:.0f} | {rates[f'{name}-metrics']:.0f} | "
            f"{ratio} | ≥ {TARGET}: {verdict} |"
        )
        ratios[name] = {"median": ratio.median, "low": ratio.low, "high": ratio.high}
    save_results("metrics_cost", {"requests_per_second": rates, "ratios": ratios})


if __name__ == "__main__":
    main()
