"""The one way tests build a ``PRODUCTION_PROCESSES`` dict, and the backend paths, taken
from the package's own list of the backends it ships."""

from __future__ import annotations

from typing import Any

from django_prodserver.processes import OUR_BACKENDS

_BY_CLASS = {path.rpartition(".")[2]: path for path in OUR_BACKENDS}
UVICORN = _BY_CLASS["UvicornServer"]
UVICORN_WSGI = _BY_CLASS["UvicornWSGIServer"]
GUNICORN_UVICORN = _BY_CLASS["GunicornUvicornServer"]
GUNICORN = _BY_CLASS["GunicornServer"]
GRANIAN = _BY_CLASS["GranianASGIServer"]
GRANIAN_WSGI = _BY_CLASS["GranianWSGIServer"]
WAITRESS = _BY_CLASS["WaitressServer"]
CELERY_WORKER = _BY_CLASS["CeleryWorker"]
CELERY_BEAT = _BY_CLASS["CeleryBeat"]
MANAGEMENT_COMMAND = _BY_CLASS["ManagementCommand"]
RUNSERVER = _BY_CLASS["RunServer"]
TASKS_WORKER = _BY_CLASS["DjangoTasksWorker"]
Q2_WORKER = _BY_CLASS["DjangoQ2Worker"]
RQ_WORKER = _BY_CLASS["RQWorker"]
#: The backends of processes that serve no HTTP.
NO_HTTP = (CELERY_WORKER, CELERY_BEAT, TASKS_WORKER, Q2_WORKER, RQ_WORKER, MANAGEMENT_COMMAND)
#: Every backend we ship; a test over "every backend" takes new ones from here.
ALL_BACKENDS = OUR_BACKENDS
#: The web servers of the uvicorn and gunicorn families, which the behaviour tests that
#: predate the other backends cover (Granian's and waitress's have their own).
UVICORN_AND_GUNICORN = (UVICORN, UVICORN_WSGI, GUNICORN_UVICORN, GUNICORN)
GUNICORN_BACKENDS = (GUNICORN_UVICORN, GUNICORN)
#: The process keys each backend needs besides BACKEND and ARGS, as the tests set them.
PROCESS_KEYS: dict[str, dict[str, str]] = {
    CELERY_WORKER: {"APP": "example_project.celery.app"},
    CELERY_BEAT: {"APP": "example_project.celery.app"},
    MANAGEMENT_COMMAND: {"COMMAND": "check"},
}


def web(
    args: dict[str, Any] | None = None, backend: str = UVICORN, name: str = "web"
) -> dict[str, Any]:
    """``PRODUCTION_PROCESSES`` with one process."""
    return {name: {"BACKEND": backend, **PROCESS_KEYS.get(backend, {}), "ARGS": dict(args or {})}}


def loopback(backend: str, port: int) -> dict[str, Any]:
    """ARGS that put ``backend`` on 127.0.0.1:``port``, in its own option names (none for
    a process that serves no HTTP)."""
    if backend in GUNICORN_BACKENDS:
        return {"bind": f"127.0.0.1:{port}"}
    if backend == RUNSERVER:
        return {"addrport": f"127.0.0.1:{port}"}
    if backend in NO_HTTP:
        return {}
    return {"host": "127.0.0.1", "port": port}


def web_on(backend: str, port: int, **args: Any) -> dict[str, Any]:
    """``PRODUCTION_PROCESSES`` with one process, ``web``, on a loopback port."""
    return web({**loopback(backend, port), **args}, backend)


def needs_program(backend: str) -> None:
    """Skip the test when the backend's server (uvicorn, gunicorn, granian, waitress) is not
    installed here."""
    import pytest

    pytest.importorskip(backend.split(".")[2])
