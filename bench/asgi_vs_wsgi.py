"""What the example project's middleware cost under ASGI and under WSGI: the same views
through UvicornServer, UvicornWSGIServer and GunicornServer (gthread), one worker each,
interleaved rounds, medians.

    python bench/asgi_vs_wsgi.py [--rounds 5] [--seconds 5]

No target: the table is for choosing a backend.
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
    prodserver_command,
    project_env,
    wrk_requests_per_second,
)

PATHS = {"/hello/": "sync view", "/async/": "async view", "/sync/": "sync view + SQLite query"}
WARM_UP_SECONDS = 1


def processes(port: int) -> dict[str, dict[str, Any]]:
    uvicorn = {"host": "127.0.0.1", "port": port, "no-access-log": True}
    return {
        "UvicornServer": {
            "BACKEND": "django_prodserver.backends.uvicorn.UvicornServer",
            "ARGS": uvicorn,
        },
        "UvicornWSGIServer": {
            "BACKEND": "django_prodserver.backends.uvicorn.UvicornWSGIServer",
            "ARGS": uvicorn,
        },
        "GunicornServer": {
            "BACKEND": "django_prodserver.backends.gunicorn.GunicornServer",
            "ARGS": {"bind": f"127.0.0.1:{port}", "worker-class": "gthread", "threads": 8},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()

    wrk = ensure_wrk()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    backends = processes(port)
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
        print(f"round {round_number} done")

    rates = {path: medians(values) for path, values in results.items()}
    print(
        f"\nmedian requests/s, 1 worker, {options.rounds} rounds of {options.seconds}s, "
        f"wrk -t1 -c{options.connections}, the example project's default middleware:\n"
    )
    print("| view | " + " | ".join(backends) + " |")
    print("|---|" + "---|" * len(backends))
    for path, description in PATHS.items():
        cells = " | ".join(f"{rates[path][backend]:.0f}" for backend in backends)
        print(f"| `{path}` ({description}) | {cells} |")
    save_results("asgi_vs_wsgi", {"requests_per_second": rates})


if __name__ == "__main__":
    main()
