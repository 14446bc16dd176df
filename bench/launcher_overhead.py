"""What ``prodserver`` costs over starting the same server by hand: for each backend, the
command ``prodserver NAME --dry-run`` prints is the "by hand" side. Interleaved rounds,
medians, ratios measured in the same run.

    python bench/launcher_overhead.py [--rounds 5] [--seconds 5] [--startups 15] [--workers 1]

Targets: throughput ratio >= 0.98; median time to first 200 within 50 ms of by hand.
"""

from __future__ import annotations

import argparse
import random
from typing import Any

from publish import save_results
from tooling import (
    by_hand_command,
    cpu_seconds,
    ensure_wrk,
    free_port,
    launched,
    medians,
    paired_ratio,
    process_tree,
    prodserver_command,
    project_env,
    wrk_requests_per_second,
)

THROUGHPUT_TARGET = 0.98
STARTUP_TARGET_MS = 50.0
WARM_UP_SECONDS = 1
BACKENDS = {
    "UvicornServer": "django_prodserver.backends.uvicorn.UvicornServer",
    "UvicornServerWithOurHandler": "django_prodserver.backends.uvicorn.UvicornServer",
    "UvicornWSGIServer": "django_prodserver.backends.uvicorn.UvicornWSGIServer",
    "GunicornUvicornServer": "django_prodserver.backends.gunicorn.GunicornUvicornServer",
    "GunicornServer": "django_prodserver.backends.gunicorn.GunicornServer",
    "GranianASGIServer": "django_prodserver.backends.granian.GranianASGIServer",
    "GranianWSGIServer": "django_prodserver.backends.granian.GranianWSGIServer",
}


def processes(port: int, workers: int) -> dict[str, Any]:
    uvicorn = {"host": "127.0.0.1", "port": port, "workers": workers, "no-access-log": True}
    gunicorn = {"bind": f"127.0.0.1:{port}", "workers": workers}
    args = {
        "UvicornServer": uvicorn,
        "UvicornServerWithOurHandler": {**uvicorn, "asgi-handler": "prodserver"},
        "UvicornWSGIServer": uvicorn,
        "GunicornUvicornServer": {**gunicorn, "no-access-log": True},
        "GunicornServer": {**gunicorn, "worker-class": "gthread", "threads": 4},
        "GranianASGIServer": {**uvicorn, "no-access-log": True},
        "GranianWSGIServer": {**uvicorn, "no-access-log": True},
    }
    return {name: {"BACKEND": BACKENDS[name], "ARGS": args[name]} for name in BACKENDS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--startups", type=int, default=15, help="start-up rounds")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--only", nargs="+", choices=list(BACKENDS), help="measure these backends only"
    )
    options = parser.parse_args()
    chosen = options.only or list(BACKENDS)

    wrk = ensure_wrk()
    port = free_port()
    env = project_env(processes(port, options.workers))
    health, hello = f"http://127.0.0.1:{port}/health/", f"http://127.0.0.1:{port}/hello/"
    commands = {
        (backend, launcher): command
        for backend in chosen
        for launcher, command in (
            ("prodserver", prodserver_command(backend)),
            ("by hand", by_hand_command(backend, env)),
        )
    }
    for (backend, launcher), command in commands.items():
        print(f"{backend:>22} {launcher:>10}: {' '.join(command)}")

    startups: dict[str, list[float]] = {f"{b}/{lc}": [] for b, lc in commands}
    cpu_per_request: dict[str, list[float]] = {f"{b}/{lc}": [] for b, lc in commands}
    throughput: dict[str, list[float]] = {f"{b}/{lc}": [] for b, lc in commands}
    for round_number in range(1, max(options.rounds, options.startups) + 1):
        order = list(commands)
        random.shuffle(order)
        for backend, launcher in order:
            key = f"{backend}/{launcher}"
            with launched(commands[backend, launcher], health, env) as server:
                startups[key].append(server.startup_seconds)
                if round_number <= options.rounds:
                    wrk_requests_per_second(wrk, hello, WARM_UP_SECONDS, options.connections)
                    tree = process_tree(server.pid)
                    cpu_before = cpu_seconds(tree)
                    served = wrk_requests_per_second(
                        wrk, hello, options.seconds, options.connections
                    )
                    cpu_used = cpu_seconds(tree) - cpu_before
                    throughput[key].append(served)
                    cpu_per_request[key].append(cpu_used / (served * options.seconds) * 1e6)
        print(f"round {round_number} done")

    startup, rate, cpu = medians(startups), medians(throughput), medians(cpu_per_request)
    print(
        f"\n{options.workers} worker(s); throughput: GET /hello/ (Django view), "
        f"{options.rounds} rounds of {options.seconds}s, wrk -c{options.connections}; "
        f"start-up: {options.startups} rounds, launch to first 200\n"
    )
    print(
        "| backend | req/s prodserver | req/s by hand | ratio, per-round range (>= 0.98) "
        "| server CPU µs/request, prodserver : by hand "
        "| start-up prodserver | start-up by hand | difference (<= 50 ms) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    summary = {}
    for backend in chosen:
        ours, theirs = f"{backend}/prodserver", f"{backend}/by hand"
        ratio = paired_ratio(throughput[ours], throughput[theirs])
        difference = (startup[ours] - startup[theirs]) * 1000
        cpu_ratio = paired_ratio(cpu_per_request[ours], cpu_per_request[theirs])
        summary[backend] = {
            "cpu_per_request_ratio": cpu_ratio.median,
            "throughput_ratio": ratio.median,
            "throughput_ratio_range": [ratio.low, ratio.high],
            "startup_difference_ms": difference,
        }
        print(
            f"| {backend} | {rate[ours]:.0f} | {rate[theirs]:.0f} | {ratio} "
            f"{'met' if ratio.median >= THROUGHPUT_TARGET else 'MISSED'} "
            f"| {cpu[ours]:.0f} : {cpu[theirs]:.0f} (ratio {cpu_ratio}) "
            f"| {startup[ours] * 1000:.0f} ms | {startup[theirs] * 1000:.0f} ms "
            f"| {difference:+.0f} ms ({'met' if difference <= STARTUP_TARGET_MS else 'MISSED'}) |"
        )
    save_results(
        f"launcher_overhead_{options.workers}w" + ("_" + "_".join(chosen) if options.only else ""),
        {
            "workers": options.workers,
            "requests_per_second": rate,
            "startup_seconds": startup,
            "cpu_microseconds_per_request": cpu,
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
