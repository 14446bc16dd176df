from __future__ import annotations

from typing import Any

from django_prodserver._compat import gunicorn_has_control_socket

from .processes import GUNICORN_UVICORN, web_on
from .servers import free_port

TEST_APP = {"ASGI_APPLICATION": "tests.asgi_apps.application"}

#: gunicorn 27 has a control socket, which we turn off; earlier versions have none.
CONTROL_SOCKET_OFF = ["--no-control-socket"] if gunicorn_has_control_socket() else []


def gunicorn_process(args: dict[str, Any], backend: str = GUNICORN_UVICORN) -> dict[str, Any]:
    """A ``web`` process bound to a free loopback port; quick to stop unless ARGS say otherwise."""
    return web_on(backend, free_port(), **{"workers": 1, "graceful-timeout": 5, **args})
