"""What our system checks add to every ``manage.py`` command (``migrate``, ``test``,
``check`` all run them): ``manage.py check`` with one process of every backend configured,
against the same project without django-prodserver. Interleaved rounds, medians.

    python bench/check_cost.py [--rounds 10]

Target: under 150 ms added, so that Celery's and Granian's imports do not land on every
``migrate``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

from publish import save_results
from tooling import BENCH_DIR, EXAMPLE_PROJECT

TARGET_MS = 150.0
EVERY_BACKEND = {
    "uvicorn": {
        "BACKEND": "django_prodserver.backends.uvicorn.UvicornServer",
        "ARGS": {"port": 8000},
    },
    "uvicorn-wsgi": {"BACKEND": "django_prodserver.backends.uvicorn.UvicornWSGIServer"},
    "gunicorn-uvicorn": {"BACKEND": "django_prodserver.backends.gunicorn.GunicornUvicornServer"},
    "gunicorn": {
        "BACKEND": "django_prodserver.backends.gunicorn.GunicornServer",
        "ARGS": {"workers": 2},
    },
    "granian": {
        "BACKEND": "django_prodserver.backends.granian.GranianASGIServer",
        "ARGS": {"workers": 2},
    },
    "granian-wsgi": {"BACKEND": "django_prodserver.backends.granian.GranianWSGIServer"},
    "waitress": {
        "BACKEND": "django_prodserver.backends.waitress.WaitressServer",
        "ARGS": {"threads": 8},
    },
    "worker": {
        "BACKEND": "django_prodserver.backends.celery.CeleryWorker",
        "APP": "example_project.celery.app",
        "ARGS": {"concurrency": 2},
    },
    "beat": {
        "BACKEND": "django_prodserver.backends.celery.CeleryBeat",
        "APP": "example_project.celery.app",
    },
    "tasks": {"BACKEND": "django_prodserver.backends.django_tasks.DjangoTasksWorker"},
    "rq": {"BACKEND": "django_prodserver.backends.rq.RQWorker", "ARGS": {"args": ["default"]}},
    "q2": {"BACKEND": "django_prodserver.backends.django_q2.DjangoQ2Worker"},
    "command": {
        "BACKEND": "django_prodserver.backends.management.ManagementCommand",
        "COMMAND": "clearsessions",
    },
    "dev": {"BACKEND": "django_prodserver.backends.management.RunServer"},
}


def check_seconds(variant: str) -> float:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "check_settings",
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(EXAMPLE_PROJECT)]),
        "PRODSERVER_BENCH_CHECK": variant,
        "PRODSERVER_BENCH_PROCESSES": json.dumps(EVERY_BACKEND),
        "DJANGO_DATABASE_PATH": ":memory:",
    }
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=EXAMPLE_PROJECT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    options = parser.parse_args()
    times: dict[str, list[float]] = {"without": [], "every backend": []}
    for _ in range(options.rounds):
        for variant in random.sample(list(times), len(times)):
            times[variant].append(check_seconds("without" if variant == "without" else "all"))
    without = statistics.median(times["without"])
    every = statistics.median(times["every backend"])
    added = (every - without) * 1000
    print(f"manage.py check, median of {options.rounds}, {len(EVERY_BACKEND)} processes:")
    print(f"  without django-prodserver: {without * 1000:.0f} ms")
    print(f"  with one process of every backend: {every * 1000:.0f} ms")
    verdict = "met" if added < TARGET_MS else "MISSED"
    print(f"  added: {added:+.0f} ms (target < {TARGET_MS:.0f} ms: {verdict})")
    save_results(
        "check_cost",
        {"without_ms": without * 1000, "every_backend_ms": every * 1000, "added_ms": added},
    )


if __name__ == "__main__":
    main()
