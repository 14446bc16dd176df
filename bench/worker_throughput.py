"""Throughput of a raw ASGI hello app under our gunicorn worker, the uvicorn-worker package,
gunicorn's own ``-k asgi`` worker and standalone uvicorn: same worker count, no access logs,
interleaved rounds, medians, printed as ratios.

    python bench/worker_throughput.py [--rounds 5] [--seconds 5] [--workers 1]

Targets: ours >= 1.0x uvicorn-worker and >= 1.0x gunicorn -k asgi, >= 0.95x uvicorn.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys

from tooling import (
    ensure_python_packages,
    ensure_wrk,
    free_port,
    running,
    wrk_requests_per_second,
)

WARM_UP_SECONDS = 1
TARGETS = {"uvicorn-worker": 1.0, "gunicorn -k asgi": 1.0, "uvicorn": 0.95}


def commands(port: int, workers: int) -> dict[str, tuple[list[str], dict[str, str]]]:
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "hello_app:app",
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
                "hello_app:app",
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
    url = f"http://127.0.0.1:{port}/"
    servers = commands(port, options.workers)
    results: dict[str, list[float]] = {name: [] for name in servers}
    for round_number in range(1, options.rounds + 1):
        order = list(servers)
        random.shuffle(order)
        for name in order:
            command, env = servers[name]
            with running(command, url, env):
                wrk_requests_per_second(wrk, url, WARM_UP_SECONDS, options.connections)
                results[name].append(
                    wrk_requests_per_second(wrk, url, options.seconds, options.connections)
                )
        print(f"round {round_number}: " + ", ".join(f"{n} {results[n][-1]:.0f}" for n in servers))

    medians = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"\nmedian requests/s over {options.rounds} rounds of {options.seconds}s, "
        f"{options.workers} worker(s), {options.connections} connections, wrk -t1:"
    )
    for name, value in medians.items():
        print(f"  {name:<18} {value:10.0f}")
    print("\nours / peer (target):")
    for peer, target in TARGETS.items():
        ratio = medians["ours"] / medians[peer]
        verdict = "met" if ratio >= target else "MISSED"
        print(f"  ours / {peer:<18} {ratio:6.3f}  (>= {target:.2f}: {verdict})")


if __name__ == "__main__":
    main()
