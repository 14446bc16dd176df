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
#: Every backend we ship; a test over "every backend" takes new ones from here.
ALL_BACKENDS = OUR_BACKENDS
GUNICORN_BACKENDS = (GUNICORN_UVICORN, GUNICORN)


def web(
    args: dict[str, Any] | None = None, backend: str = UVICORN, name: str = "web"
) -> dict[str, Any]:
    """``PRODUCTION_PROCESSES`` with one process."""
    return {name: {"BACKEND": backend, "ARGS": dict(args or {})}}


def loopback(backend: str, port: int) -> dict[str, Any]:
    """ARGS that put ``backend`` on 127.0.0.1:``port``, in its own option names."""
    if backend in GUNICORN_BACKENDS:
        return {"bind": f"127.0.0.1:{port}"}
    return {"host": "127.0.0.1", "port": port}


def web_on(backend: str, port: int, **args: Any) -> dict[str, Any]:
    """``PRODUCTION_PROCESSES`` with one process, ``web``, on a loopback port."""
    return web({**loopback(backend, port), **args}, backend)
