"""What an access line costs, on the raw hello apps (bench/hello_app.py), access lines to
/dev/null everywhere; interleaved rounds, medians, paired ratios, and µs per line.

1. gunicorn by hand, one worker: our worker against the uvicorn-worker package (with access
   lines both), and ours without them.
2. UvicornServer with our access-log-format (gunicorn's default line) against uvicorn by
   hand with its own access line, and with JSON lines.
3. Every HTTP backend under prodserver, one worker, with access lines and without: the cost
   of a line in µs.

    python bench/access_log_cost.py [--rounds 5] [--seconds 5] [--backend-rounds 3]

Targets (issue 15): ours with access lines >= 1.0x uvicorn-worker with its access lines;
ours with access lines >= 0.85x ours without them; UvicornServer with our format >= 1.0x
uvicorn by hand with its own.
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

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
    prodserver_command,
    project_env,
    wrk_requests_per_second,
)

WARM_UP_SECONDS = 1
OURS = "django_prodserver.workers.UvicornWorker"
GUNICORN_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
BACKEND = "django_prodserver.backends"
TARGETS = {
    ("gunicorn: ours, access lines", "gunicorn: uvicorn-worker, access lines"): 1.0,
    ("gunicorn: ours, access lines", "gunicorn: ours, no access lines"): 0.85,
    ("UvicornServer, our format", "uvicorn by hand, its access line"): 1.0,
}
#: backend -> (its class, ARGS with access lines, ARGS without). One worker each.
BACKENDS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "UvicornServer": (
        f"{BACKEND}.uvicorn.UvicornServer",
        {"access-log-format": GUNICORN_FORMAT},
        {"no-access-log": True},
    ),
    "UvicornWSGIServer": (
        f"{BACKEND}.uvicorn.UvicornWSGIServer",
        {"access-log-format": GUNICORN_FORMAT},
        {"no-access-log": True},
    ),
    "GunicornUvicornServer": (
        f"{BACKEND}.gunicorn.GunicornUvicornServer",
        {"access-log-format": GUNICORN_FORMAT},
        {"no-access-log": True},
    ),
    "GunicornServer": (
        f"{BACKEND}.gunicorn.GunicornServer",
        {"access-log-format": GUNICORN_FORMAT},
        {},
    ),
    "GranianASGIServer": (f"{BACKEND}.granian.GranianASGIServer", {"access-log": True}, {}),
    "GranianWSGIServer": (f"{BACKEND}.granian.GranianWSGIServer", {"access-log": True}, {}),
    "WaitressServer": (
        f"{BACKEND}.waitress.WaitressServer",
        {"access-log-format": GUNICORN_FORMAT},
        {},
    ),
}

Run = tuple[list[str], dict[str, str]]


def gunicorn_runs(port: int) -> dict[str, Run]:
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
        "gunicorn: ours, access lines": ([*gunicorn, f"--worker-class={OURS}", to_null], {}),
        "gunicorn: uvicorn-worker, access lines": (
            [*gunicorn, "--worker-class=uvicorn_worker.UvicornWorker", to_null],
            {},
        ),
        "gunicorn: ours, no access lines": (
            [*gunicorn, f"--worker-class={OURS}"],
            {"PRODSERVER_UVICORN_ARGS": "--no-access-log"},
        ),
    }


def processes(port: int) -> dict[str, Any]:
    """PRODUCTION_PROCESSES: every backend with and without access lines, and JSON lines."""
    tcp = {"host": "127.0.0.1", "port": port}
    found: dict[str, Any] = {}
    for name, (backend, with_lines, without) in BACKENDS.items():
        address = {"bind": f"127.0.0.1:{port}"} if "gunicorn" in backend else tcp
        for suffix, args in (("lines", with_lines), ("quiet", without)):
            found[f"{name}-{suffix}"] = {"BACKEND": backend, "ARGS": {**address, **args}}
    found["UvicornServer-json"] = {
        "BACKEND": BACKENDS["UvicornServer"][0],
        "ARGS": {**tcp, "log-format": "json"},
    }
    return found


def prodserver_runs(port: int) -> tuple[dict[str, Run], dict[str, str]]:
    env = {**project_env(processes(port)), "PRODSERVER_BENCH_RAW_APPS": "1"}
    runs = {name: (prodserver_command(name), env) for name in processes(port)}
    runs["UvicornServer, our format"] = runs.pop("UvicornServer-lines")
    runs["UvicornServer, JSON lines"] = runs.pop("UvicornServer-json")
    by_hand = [sys.executable, "-m", "uvicorn", "hello_app:app", "--host=127.0.0.1"]
    runs["uvicorn by hand, its access line"] = ([*by_hand, f"--port={port}"], env)
    return runs, env


def measure(
    runs: dict[str, Run], url: str, rounds: int, seconds: int, connections: int, wrk: str
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in runs}
    for round_number in range(1, rounds + 1):
        order = list(runs)
        random.shuffle(order)
        for name in order:
            command, env = runs[name]
            cwd = (
                BENCH_DIR if name.startswith(("gunicorn:", "uvicorn by hand")) else EXAMPLE_PROJECT
            )
            with launched(command, url, env, cwd=cwd):
                wrk_requests_per_second(wrk, url, WARM_UP_SECONDS, connections)
                results[name].append(wrk_requests_per_second(wrk, url, seconds, connections))
        print(f"round {round_number} of {rounds} done", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--backend-rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()

    wrk = ensure_wrk()
    ensure_python_packages("uvicorn_worker=uvicorn-worker")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    head_to_head, _ = prodserver_runs(port)
    compared = {
        **gunicorn_runs(port),
        **{
            name: head_to_head[name]
            for name in (
                "UvicornServer, our format",
                "UvicornServer, JSON lines",
                "UvicornServer-quiet",
                "uvicorn by hand, its access line",
            )
        },
    }
    results = measure(compared, url, options.rounds, options.seconds, options.connections, wrk)
    per_backend = {
        name: run
        for name, run in head_to_head.items()
        if name not in compared or name == "UvicornServer-quiet"
    }
    per_backend["UvicornServer-lines"] = head_to_head["UvicornServer, our format"]
    backend_results = measure(
        per_backend, url, options.backend_rounds, options.seconds, options.connections, wrk
    )

    rates = medians(results)
    print(
        f"\nraw hello apps, 1 worker, wrk -t1 -c{options.connections}, {options.rounds} "
        f"rounds of {options.seconds}s; access lines to /dev/null:\n"
    )
    print("| configuration | req/s | µs per request |")
    print("|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.0f} | {1e6 / rate:.1f} |")
    print("\n| ratio | median (range) | target |")
    print("|---|---|---|")
    ratios = {}
    for (mine, theirs), target in TARGETS.items():
        ratio = paired_ratio(results[mine], results[theirs])
        verdict = "met" if ratio.median >= target else "MISSED"
        print(f"| {mine} / {theirs} | {ratio} | ≥ {target}: {verdict} |")
        ratios[f"{mine} / {theirs}"] = {"median": ratio.median, "target": target}

    backend_rates = medians(backend_results)
    print(
        f"\nEvery backend under prodserver, 1 worker, {options.backend_rounds} rounds of "
        f"{options.seconds}s:\n"
    )
    print("| backend | req/s with lines | req/s without | µs per access line |")
    print("|---|---|---|---|")
    line_cost = {}
    for name in BACKENDS:
        with_lines, without = backend_rates[f"{name}-lines"], backend_rates[f"{name}-quiet"]
        line_cost[name] = 1e6 / with_lines - 1e6 / without
        print(f"| {name} | {with_lines:.0f} | {without:.0f} | {line_cost[name]:.1f} |")
    save_results(
        "access_log_cost",
        {
            "requests_per_second": rates,
            "ratios": ratios,
            "backends_requests_per_second": backend_rates,
            "microseconds_per_access_line": line_cost,
        },
    )


if __name__ == "__main__":
    main()
