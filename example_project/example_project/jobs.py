"""The example project's background work: one job, ``record``, that every task queue runs
(Django's tasks framework, Celery, RQ, django-q2). It notes its start and its end in a file,
so that a test can see a job run once, finish, and not run twice."""

from __future__ import annotations

import os
import time
from pathlib import Path


def record(path: str, seconds: float = 0.0) -> str:
    """Append ``start <pid>`` to ``path``, work for ``seconds``, then append ``done <pid>``."""
    log = Path(path)
    with log.open("a") as file:
        file.write(f"start {os.getpid()}\n")
    time.sleep(seconds)
    with log.open("a") as file:
        file.write(f"done {os.getpid()}\n")
    return f"recorded in {log.name}"
