from __future__ import annotations

from typing import Any

from django_prodserver.gunicorn_options import gunicorn_schema

from .servers import free_port

GUNICORN_UVICORN = "django_prodserver.backends.gunicorn.GunicornUvicornServer"
GUNICORN = "django_prodserver.backends.gunicorn.GunicornServer"
TEST_APP = {"ASGI_APPLICATION": "tests.asgi_apps.application"}

#: gunicorn 27 has a control socket, which we turn off; earlier versions have none.
CONTROL_SOCKET_OFF = (
    ["--no-control-socket"] if gunicorn_schema().lookup("no-control-socket") else []
)


def gunicorn_process(args: dict[str, Any], backend: str = GUNICORN_UVICORN) -> dict[str, Any]:
    """A ``web`` process bound to a free loopback port; quick to stop unless ARGS say otherwise."""
    defaults = {"bind": f"127.0.0.1:{free_port()}", "workers": 1, "graceful-timeout": 5}
    return {"web": {"BACKEND": backend, "ARGS": {**defaults, **args}}}
