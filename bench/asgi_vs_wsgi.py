"""Django's sync and async views under every way we serve them: prodserver's ASGI handler
against Django's own on each ASGI backend, and the WSGI servers. One worker each, the example
project's default middleware, interleaved rounds, medians and paired ratios.

    python bench/asgi_vs_wsgi.py [--rounds 5] [--seconds 5] [--only NAME ...]

Targets (issue 14), for ``/hello/`` and ``/sync/``, with prodserver's handler under
UvicornServer: at least 1.3x GunicornServer with gthread, 1.5x UvicornWSGIServer and 6x
Django's handler under the same server; for ``/async/``: at least 0.98x Django's handler.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from publish import save_results
from tooling import (
    Ratio,
    ensure_wrk,
    free_port,
    launched,
    medians,
    paired_ratio,
    prodserver_command,
    project_env,
    wrk_requests_per_second,
)

PATHS = {"/hello/": "sync view", "/sync/": "sync view + SQLite query", "/async/": "async view"}
WARM_UP_SECONDS = 1
OURS = {"asgi-handler": "prodserver"}
UVICORN = "django_prodserver.backends.uvicorn."
GUNICORN = "django_prodserver.backends.gunicorn."
GRANIAN = "django_prodserver.backends.granian."


def processes(port: int) -> dict[str, dict[str, Any]]:
    """Every configuration, with access logs off on all of them (like with like)."""
    uvicorn = {"host": "127.0.0.1", "port": port, "no-access-log": True}
    gunicorn_uvicorn = {"bind": f"127.0.0.1:{port}", "no-access-log": True}
    granian = {"host": "127.0.0.1", "port": port}
    return {
        "UvicornServer, prodserver's handler": {
            "BACKEND": UVICORN + "UvicornServer",
            "ARGS": {**uvicorn, **OURS},
        },
        "UvicornServer": {"BACKEND": UVICORN + "UvicornServer", "ARGS": uvicorn},
        "UvicornWSGIServer": {"BACKEND": UVICORN + "UvicornWSGIServer", "ARGS": uvicorn},
        "GunicornServer gthread": {
            "BACKEND": GUNICORN + "GunicornServer",
            "ARGS": {"bind": f"127.0.0.1:{port}", "worker-class": "gthread", "threads": 8},
        },
        "GunicornUvicornServer, prodserver's handler": {
            "BACKEND": GUNICORN + "GunicornUvicornServer",
            "ARGS": {**gunicorn_uvicorn, **OURS},
        },
        "GunicornUvicornServer": {
            "BACKEND": GUNICORN + "GunicornUvicornServer",
            "ARGS": gunicorn_uvicorn,
        },
        "GranianASGIServer, prodserver's handler": {
            "BACKEND": GRANIAN + "GranianASGIServer",
            "ARGS": {**granian, **OURS},
        },
        "GranianASGIServer": {"BACKEND": GRANIAN + "GranianASGIServer", "ARGS": granian},
    }


#: (ours, baseline, target) per path kind; None where the issue sets no target.
COMPARISONS = [
    ("UvicornServer, prodserver's handler", "GunicornServer gthread", 1.3),
    ("UvicornServer, prodserver's handler", "UvicornWSGIServer", 1.5),
    ("UvicornServer, prodserver's handler", "UvicornServer", 6.0),
    ("GunicornUvicornServer, prodserver's handler", "GunicornUvicornServer", None),
    ("GranianASGIServer, prodserver's handler", "GranianASGIServer", None),
    ("GunicornUvicornServer, prodserver's handler", "GunicornServer gthread", None),
    ("GranianASGIServer, prodserver's handler", "GunicornServer gthread", None),
]
ASYNC_TARGET = 0.98


def target_for(path: str, target: float | None, ours: str, baseline: str) -> float | None:
    if path == "/async/":
        same_server = baseline == ours.split(",")[0]
        return ASYNC_TARGET if same_server else None
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", nargs="*", help="configurations to run (names as printed)")
    options = parser.parse_args()

    wrk = ensure_wrk()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    backends = {
        name: process
        for name, process in processes(port).items()
        if not options.only or name in options.only
    }
    results: dict[str, dict[str, list[float]]] = {
        path: {backend: [] for backend in backends} for path in PATHS
    }
    for round_number in range(1, options.rounds + 1):
        order = list(backends)
        random.shuffle(order)
        for backend in order:
            env = project_env({"web": backends[backend]})
            with launched(prodserver_command("web"), f"{base}/health/", env):
                for path in PATHS:
                    wrk_requests_per_second(wrk, base + path, WARM_UP_SECONDS, options.connections)
                    results[path][backend].append(
                        wrk_requests_per_second(
                            wrk, base + path, options.seconds, options.connections
                        )
                    )
        print(f"round {round_number} done", flush=True)

    rates = {path: medians(values) for path, values in results.items()}
    print(
        f"\nmedian requests/s, 1 worker, {options.rounds} rounds of {options.seconds}s, "
        f"wrk -t1 -c{options.connections}, the example project's default middleware:\n"
    )
    print("| configuration | " + " | ".join(f"`{path}`" for path in PATHS) + " |")
    print("|---|" + "---|" * len(PATHS))
    for backend in backends:
        cells = " | ".join(f"{rates[path][backend]:.0f}" for path in PATHS)
        print(f"| {backend} | {cells} |")

    print("\npaired ratios (median of rounds, range), against the target where one is set:\n")
    print("| ours | against | " + " | ".join(f"`{path}`" for path in PATHS) + " |")
    print("|---|---|" + "---|" * len(PATHS))
    ratios: dict[str, dict[str, dict[str, float | None]]] = {}
    for ours, baseline, target in COMPARISONS:
        if ours not in backends or baseline not in backends:
            continue
        verdicts = []
        for path in PATHS:
            ratio = paired_ratio(results[path][ours], results[path][baseline])
            wanted = target_for(path, target, ours, baseline)
            verdicts.append(verdict(ratio, wanted))
            ratios.setdefault(f"{ours} / {baseline}", {})[path] = {
                "median": ratio.median,
                "low": ratio.low,
                "high": ratio.high,
                "target": wanted,
            }
        print(f"| {ours} | {baseline} | " + " | ".join(verdicts) + " |")
    save_results("asgi_vs_wsgi", {"requests_per_second": rates, "ratios": ratios})


def verdict(ratio: Ratio, target: float | None) -> str:
    if target is None:
        return f"{ratio.median:.2f}x"
    mark = "met" if ratio.median >= target else "MISSED"
    return f"{ratio.median:.2f}x (≥ {target}: {mark})"


if __name__ == "__main__":
    main()
