"""What an access line costs: gunicorn by hand on the raw ASGI hello app, one worker, our
worker against the uvicorn-worker package, access lines to /dev/null on both sides (and ours
without them); interleaved rounds, medians, paired ratios, and the cost of a line in µs.

    python bench/access_log_cost.py [--rounds 5] [--seconds 5]

Targets (issue 15): ours with access lines >= 1.0x uvicorn-worker with its access lines;
ours with access lines >= 0.85x ours without them.
"""

from __future__ import annotations

import argparse
import random
import sys

from publish import save_results
from tooling import (
    BENCH_DIR,
    ensure_python_packages,
    ensure_wrk,
    free_port,
    launched,
    medians,
    paired_ratio,
    wrk_requests_per_second,
)

WARM_UP_SECONDS = 1
OURS = "django_prodserver.workers.UvicornWorker"
TARGETS = {
    ("ours, access lines", "uvicorn-worker, access lines"): 1.0,
    ("ours, access lines", "ours, no access lines"): 0.85,
}


def commands(port: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "hello_app:app",
        f"--bind=127.0.0.1:{port}",
        "--workers=1",
        "--no-control-socket",
    ]
    to_null = "--access-logfile=/dev/null"
    return {
        "ours, access lines": ([*gunicorn, f"--worker-class={OURS}", to_null], {}),
        "uvicorn-worker, access lines": (
            [*gunicorn, "--worker-class=uvicorn_worker.UvicornWorker", to_null],
            {},
        ),
        "ours, no access lines": (
            [*gunicorn, f"--worker-class={OURS}"],
            {"PRODSERVER_UVICORN_ARGS": "--no-access-log"},
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()

    wrk = ensure_wrk()
    ensure_python_packages("uvicorn_worker=uvicorn-worker")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    runs = commands(port)
    results: dict[str, list[float]] = {name: [] for name in runs}
    for round_number in range(1, options.rounds + 1):
        order = list(runs)
        random.shuffle(order)
        for name in order:
            command, env = runs[name]
            with launched(command, url, env, cwd=BENCH_DIR):
                wrk_requests_per_second(wrk, url, WARM_UP_SECONDS, options.connections)
                results[name].append(
                    wrk_requests_per_second(wrk, url, options.seconds, options.connections)
                )
        print(f"round {round_number} done", flush=True)

    rates = medians(results)
    print(
        f"\nraw ASGI hello, gunicorn by hand, 1 worker, wrk -t1 -c{options.connections}, "
        f"{options.rounds} rounds of {options.seconds}s; access lines to /dev/null:\n"
    )
    print("| worker | req/s | µs per request |")
    print("|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.0f} | {1e6 / rate:.1f} |")
    quiet = rates["ours, no access lines"]
    for name in ("ours, access lines", "uvicorn-worker, access lines"):
        print(f"\n{name}: an access line costs {1e6 / rates[name] - 1e6 / quiet:.1f} µs", end="")
    print("\n\n| ratio | median (range) | target |")
    print("|---|---|---|")
    ratios = {}
    for (mine, theirs), target in TARGETS.items():
        ratio = paired_ratio(results[mine], results[theirs])
        verdict = "met" if ratio.median >= target else "MISSED"
        print(f"| {mine} / {theirs} | {ratio} | ≥ {target}: {verdict} |")
        ratios[f"{mine} / {theirs}"] = {"median": ratio.median, "target": target}
    save_results("access_log_cost", {"requests_per_second": rates, "ratios": ratios})


if __name__ == "__main__":
    main()
