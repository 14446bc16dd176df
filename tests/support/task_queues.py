"""The example project's task queues, as the worker tests use them: each worker backend's
process, how to enqueue the example job from Django, and how to read its result back."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .servers import EXAMPLE_PROJECT, process_env, prodserver_command


@dataclass(frozen=True)
class TaskQueue:
    backend: str
    #: The module the queue needs (skip the test when it is not installed).
    module: str
    needs_redis: bool
    #: Python run by ``manage.py shell``: enqueue record(PATH, SECONDS), print the job's id.
    enqueue: str
    #: Python run by ``manage.py shell``: print the finished job's return value for JOB.
    result: str
    args: dict[str, Any]
    extra_keys: dict[str, str]

    def process(self) -> dict[str, Any]:
        return {"BACKEND": self.backend, **self.extra_keys, "ARGS": self.args}

    @property
    def name(self) -> str:
        return self.backend.rsplit(".", 1)[1]


QUEUES = [
    TaskQueue(
        backend="django_prodserver.backends.django_tasks.DjangoTasksWorker",
        module="django_tasks_db",
        needs_redis=False,
        enqueue="from example_project.tasks import record; print(record.enqueue(PATH, SECONDS).id)",
        result="from example_project.tasks import record; "
        "print(record.get_result(JOB).return_value)",
        args={"interval": "0.1", "no-startup-delay": True},
        extra_keys={},
    ),
    TaskQueue(
        backend="django_prodserver.backends.celery.CeleryWorker",
        module="celery",
        needs_redis=True,
        enqueue="from example_project.celery import record; print(record.delay(PATH, SECONDS).id)",
        result="from example_project.celery import app; "
        "print(app.AsyncResult(JOB).get(timeout=10))",
        args={"concurrency": "1", "pool": "prefork", "loglevel": "info", "without-mingle": True},
        extra_keys={"APP": "example_project.celery.app"},
    ),
    TaskQueue(
        backend="django_prodserver.backends.rq.RQWorker",
        module="django_rq",
        needs_redis=True,
        enqueue="import django_rq; "
        "print(django_rq.enqueue('example_project.jobs.record', PATH, SECONDS).id)",
        result="import django_rq; "
        "print(django_rq.get_queue('default').fetch_job(JOB).return_value())",
        args={"args": ["default"], "with-scheduler": False},
        extra_keys={},
    ),
    TaskQueue(
        backend="django_prodserver.backends.django_q2.DjangoQ2Worker",
        module="django_q",
        needs_redis=False,
        enqueue="from django_q.tasks import async_task; "
        "print(async_task('example_project.jobs.record', PATH, SECONDS))",
        result="from django_q.tasks import result; print(result(JOB, wait=10000))",
        args={"verbosity": "1"},
        extra_keys={},
    ),
]


def installed(queue: TaskQueue) -> bool:
    return find_spec(queue.module) is not None


def manage(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGUMENTS`` with the tests' settings and ``env`` (database, Redis)."""
    command = prodserver_command(EXAMPLE_PROJECT)
    command = [*command[:2], *arguments, command[3]]  # the settings option, not prodserver
    return subprocess.run(
        command,
        env=process_env("absent", None, **env),
        cwd=EXAMPLE_PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def shell(env: dict[str, str], code: str) -> str:
    ran = manage(env, "shell", "-c", code)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.strip().splitlines()[-1]


def run_lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []
