"""Time from launch to the first 200: ``manage.py prodserver web`` against the same uvicorn
command started by hand (as ``prodserver --list`` prints it). Interleaved rounds, medians.

    python bench/startup.py [--rounds 15] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

EXAMPLE_PROJECT = Path(__file__).resolve().parent.parent / "example_project"
POLL_INTERVAL = 0.005
READY_TIMEOUT = 30.0


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def time_to_first_200(command: list[str], port: int, env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=EXAMPLE_PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = started + READY_TIMEOUT
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=1) as reply:
                    if reply.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError):
                time.sleep(POLL_INTERVAL)
        raise RuntimeError(f"{command[:3]} did not answer within {READY_TIMEOUT}s")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def by_hand_command(env: dict[str, str]) -> list[str]:
    """The uvicorn command ``prodserver --list`` says the process amounts to."""
    listing = subprocess.run(
        [sys.executable, "manage.py", "prodserver", "--list"],
        cwd=EXAMPLE_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = listing.splitlines()[1].strip()
    program, *arguments = shlex.split(line)
    return [sys.executable, "-m", program, *arguments]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args()

    port = free_port()
    processes = {
        "web": {
            "BACKEND": "django_prodserver.backends.uvicorn.UvicornServer",
            "ARGS": {"host": "127.0.0.1", "port": str(port), "workers": str(options.workers)},
        }
    }
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PRODSERVER_BENCH_PROCESSES": json.dumps(processes),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(EXAMPLE_PROJECT)]),
    }
    commands = {
        "prodserver": [sys.executable, "manage.py", "prodserver", "web"],
        "by hand": by_hand_command(env),
    }
    for name, command in commands.items():
        print(f"{name:>10}: {shlex.join(command)}")

    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(options.rounds):
        for name, command in commands.items():
            timings[name].append(time_to_first_200(command, port, env))

    medians = {name: statistics.median(values) for name, values in timings.items()}
    for name, value in medians.items():
        print(
            f"{name:>10}: median {value * 1000:7.1f} ms to first 200 over {options.rounds} rounds"
        )
    difference = (medians["prodserver"] - medians["by hand"]) * 1000
    ratio = medians["prodserver"] / medians["by hand"]
    print(f"prodserver - by hand: {difference:+.1f} ms (ratio {ratio:.3f})")


if __name__ == "__main__":
    main()
