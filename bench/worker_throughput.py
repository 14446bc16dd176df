"""Throughput under our gunicorn worker, the uvicorn-worker package, gunicorn's own
``-k asgi`` worker and standalone uvicorn, on a raw ASGI hello app and on the example
project's Django ``/hello/`` view: same worker count, no access logs, interleaved rounds,
medians, printed as ratios.

    python bench/worker_throughput.py [--rounds 5] [--seconds 5] [--workers 1]

Targets: ours >= 1.0x uvicorn-worker and >= 1.0x gunicorn -k asgi on both applications,
>= 0.95x standalone uvicorn on the raw ASGI app.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from publish import save_results
from tooling import (
    BENCH_DIR,
    EXAMPLE_PROJECT,
    ensure_python_packages,
    ensure_wrk,
    free_port,
    launched,
    medians,
    paired_ratio,
    wrk_requests_per_second,
)

WARM_UP_SECONDS = 1
TARGETS = {
    "raw ASGI": {"uvicorn-worker": 1.0, "gunicorn -k asgi": 1.0, "uvicorn": 0.95},
    "Django /hello/": {"uvicorn-worker": 1.0, "gunicorn -k asgi": 1.0},
}


@dataclass(frozen=True)
class Application:
    import_string: str
    path: str
    cwd: Path
    env: dict[str, str]


APPLICATIONS = {
    "raw ASGI": Application("hello_app:app", "/", BENCH_DIR, {}),
    "Django /hello/": Application(
        "example_project.asgi:application",
        "/hello/",
        EXAMPLE_PROJECT,
        {
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DJANGO_DATABASE_PATH": ":memory:",
            "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(EXAMPLE_PROJECT)]),
        },
    ),
}


def commands(
    application: str, port: int, workers: int
) -> dict[str, tuple[list[str], dict[str, str]]]:
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        application,
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--no-control-socket",
    ]
    return {
        "ours": (
            [*gunicorn, "--worker-class=django_prodserver.workers.UvicornWorker"],
            {"PRODSERVER_UVICORN_ARGS": "--no-access-log"},
        ),
        "uvicorn-worker": ([*gunicorn, "--worker-class=quiet_workers.QuietUvicornWorker"], {}),
        "gunicorn -k asgi": ([*gunicorn, "--worker-class=asgi"], {}),
        "uvicorn": (
            [
                sys.executable,
                "-m",
                "uvicorn",
                application,
                f"--port={port}",
                f"--workers={workers}",
                "--no-access-log",
            ],
            {},
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=64)
    options = parser.parse_args()

    wrk = ensure_wrk()
    ensure_python_packages("uvicorn_worker=uvicorn-worker")
    port = free_port()
    runs = {
        (app_name, server): (command, {**application.env, **env}, application)
        for app_name, application in APPLICATIONS.items()
        for server, (command, env) in commands(
            application.import_string, port, options.workers
        ).items()
    }
    results: dict[str, dict[str, list[float]]] = {
        app_name: {server: [] for (a, server) in runs if a == app_name} for app_name in APPLICATIONS
    }
    for round_number in range(1, options.rounds + 1):
        order = list(runs)
        random.shuffle(order)
        for app_name, server in order:
            command, env, application = runs[app_name, server]
            url = f"http://127.0.0.1:{port}{application.path}"
            with launched(command, url, env, cwd=application.cwd):
                wrk_requests_per_second(wrk, url, WARM_UP_SECONDS, options.connections)
                results[app_name][server].append(
                    wrk_requests_per_second(wrk, url, options.seconds, options.connections)
                )
        print(f"round {round_number} done")

    rates = {app_name: medians(values) for app_name, values in results.items()}
    print(
        f"\nmedian requests/s over {options.rounds} rounds of {options.seconds}s, "
        f"{options.workers} worker(s), wrk -t1 -c{options.connections}, no access logs:\n"
    )
    print("| application | server | req/s | ours ÷ this, per-round range (target) |")
    print("|---|---|---|---|")
    ratios: dict[str, dict[str, float]] = {}
    for app_name, servers in rates.items():
        for server, value in servers.items():
            cell = ""
            if server != "ours":
                ratio = paired_ratio(results[app_name]["ours"], results[app_name][server])
                ratios.setdefault(app_name, {})[server] = ratio.median
                target = TARGETS[app_name].get(server)
                verdict = "met" if target is None or ratio.median >= target else "MISSED"
                cell = f"{ratio}" + (f", >= {target:.2f}: {verdict}" if target else "")
            print(f"| {app_name} | {server} | {value:.0f} | {cell} |")
    save_results(
        "worker_throughput",
        {"workers": options.workers, "requests_per_second": rates, "ratios": ratios},
    )


if __name__ == "__main__":
    main()
