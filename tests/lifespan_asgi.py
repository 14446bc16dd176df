"""The example project's ASGI application wrapped with lifespan support, as a project would
write it; each event is appended to the file $LIFESPAN_EVENTS names."""

from __future__ import annotations

import os
from typing import Any

from example_project.asgi import application as django_application


def _record(event: str) -> None:
    with open(os.environ["LIFESPAN_EVENTS"], "a") as events:
        events.write(f"{event} {os.getpid()}\n")


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "lifespan":
        await django_application(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _record("startup")
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            _record("shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return
