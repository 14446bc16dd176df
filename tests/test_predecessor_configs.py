"""Moving from the predecessor project (nanorepublica/django-prodserver) changes nothing: each
configuration of its backend pages either works as written here, or, where the program has
no such option, stops before start with one line naming the key and the fix."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

import pytest

from .support.servers import run_prodserver

GRANIAN = "django_prodserver.backends.granian.GranianASGIServer"
GRANIAN_WSGI = "django_prodserver.backends.granian.GranianWSGIServer"
WAITRESS = "django_prodserver.backends.waitress.WaitressServer"
WORKER = "django_prodserver.backends.celery.CeleryWorker"
BEAT = "django_prodserver.backends.celery.CeleryBeat"
TASKS = "django_prodserver.backends.django_tasks.DjangoTasksWorker"
Q2 = "django_prodserver.backends.django_q2.DjangoQ2Worker"
APP = "example_project.celery.app"  # the pages' myproject.celery.app

#: (page, the process as the page writes it, None when it works or the one line it gives)
CONFIGURATIONS: list[tuple[str, dict[str, Any], str | None]] = [
    ("granian.md", {"BACKEND": GRANIAN, "ARGS": {"address": "0.0.0.0", "port": "8000", "workers": "4"}}, None),
    ("granian.md", {"BACKEND": GRANIAN_WSGI, "ARGS": {"address": "0.0.0.0", "port": "8000", "workers": "4"}}, None),
    ("granian.md", {"BACKEND": GRANIAN, "ARGS": {"address": "0.0.0.0", "port": "8000", "workers": "4", "blocking-threads": "2", "log-access": "False"}}, None),
    ("granian.md", {"BACKEND": GRANIAN_WSGI, "ARGS": {"address": "0.0.0.0", "port": "8000", "workers": "2", "threads": "4"}}, None),
    ("granian.md", {"BACKEND": GRANIAN, "ARGS": {"http": "2", "workers": "4"}}, None),
    ("granian.md table", {"BACKEND": GRANIAN, "ARGS": {"backlog": "1024", "log-level": "info", "log-access": "True"}}, None),
    ("granian.py", {"BACKEND": GRANIAN, "ARGS": {"blocking_threads": "1", "runtime-threads": "2", "url-path-prefix": "/app", "websockets": "True"}}, None),
    ("waitress.md", {"BACKEND": WAITRESS, "ARGS": {"host": "0.0.0.0", "port": "8000", "threads": "4"}}, None),
    ("waitress.md", {"BACKEND": WAITRESS, "ARGS": {"host": "0.0.0.0", "port": "8000", "threads": "8", "connection-limit": "500", "channel-timeout": "120"}}, None),
    ("waitress.md", {"BACKEND": WAITRESS, "ARGS": {"unix-socket": "/tmp/prodserver-predecessor.sock", "threads": "4"}}, None),
    ("waitress.md table", {"BACKEND": WAITRESS, "ARGS": {"backlog": "1024", "expose-tracebacks": "False"}}, None),
    ("celery.md", {"BACKEND": WORKER, "APP": APP, "ARGS": {"concurrency": "4", "loglevel": "info"}}, None),
    ("celery.md", {"BACKEND": BEAT, "APP": APP, "ARGS": {"loglevel": "info"}}, None),
    ("celery.md", {"BACKEND": WORKER, "APP": APP, "ARGS": {"concurrency": "4", "max-tasks-per-child": "1000"}}, None),
    ("celery.md", {"BACKEND": WORKER, "APP": APP, "ARGS": {"queues": "default", "concurrency": "4"}}, None),
    ("celery.md table", {"BACKEND": WORKER, "APP": APP, "ARGS": {"pool": "solo", "max-memory-per-child": "200000", "time-limit": "60", "soft-time-limit": "50"}}, None),
    ("celery.md table", {"BACKEND": BEAT, "APP": APP, "ARGS": {"scheduler": "celery.beat:PersistentScheduler"}}, None),
    ("django-q2.md", {"BACKEND": Q2, "ARGS": {"verbosity": "1"}}, None),
    ("django-tasks.md", {"BACKEND": TASKS, "ARGS": {"processes": "4", "threads": "1"}},
     "PRODUCTION_PROCESSES['p']['ARGS']['processes']: manage.py db_worker has no option --processes"),
    ("django-tasks.md table", {"BACKEND": TASKS, "ARGS": {"queue": "default"}},
     "PRODUCTION_PROCESSES['p']['ARGS']['queue']: manage.py db_worker has no option --queue; did you mean 'queue-name'?"),
    ("django-tasks.md table", {"BACKEND": TASKS, "ARGS": {"verbosity": "1"}}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "process", "error"),
    CONFIGURATIONS,
    ids=[f"{page}#{index}" for index, (page, _, _) in enumerate(CONFIGURATIONS)],
)
def test_the_predecessors_configuration(
    page: str, process: dict[str, Any], error: str | None
) -> None:
    if process["BACKEND"] == TASKS and find_spec("django_tasks_db") is None:
        pytest.skip("django-tasks-db is not installed here (it needs Django 5.2+)")
    result = run_prodserver({"p": process}, "p", "--dry-run")
    if error is None:
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 1
    else:
        assert result.returncode == 2
        (line,) = result.stderr.splitlines()
        assert line.startswith("CommandError: " + error), line


@pytest.mark.parametrize(
    ("process", "overrides", "expected"),
    [
        ({"BACKEND": GRANIAN, "ARGS": {"port": "8000"}}, ["--port", "9001"], "--port=9001"),
        ({"BACKEND": WAITRESS, "ARGS": {"port": "8000"}}, ["--port=9001"], "--port=9001"),
        ({"BACKEND": WORKER, "APP": APP, "ARGS": {}}, ["--concurrency", "8"], "--concurrency=8"),
        ({"BACKEND": WORKER, "APP": APP, "ARGS": {}}, ["--broker", "redis://10.0.0.5/1"], "--broker=redis://10.0.0.5/1"),
        ({"BACKEND": Q2, "ARGS": {}}, ["--verbosity", "2"], "--verbosity=2"),
    ],
)  # fmt: skip
def test_command_line_overrides_on_every_kind_of_backend(
    process: dict[str, Any], overrides: list[str], expected: str
) -> None:
    result = run_prodserver({"p": process}, "p", "--dry-run", "--", *overrides)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout.split()
