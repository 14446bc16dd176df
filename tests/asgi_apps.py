"""Raw ASGI applications for server-behaviour tests, where Django is not what is measured."""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]


async def _respond(
    send: Any, body: bytes, status: int = 200, content_type: bytes = b"text/plain"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type)],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _seconds(scope: Scope) -> float:
    query = parse_qs(scope.get("query_string", b"").decode())
    return float(query.get("seconds", ["1"])[0])


async def _websocket_echo(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            await send(
                {
                    "type": "websocket.send",
                    "text": message.get("text"),
                    "bytes": message.get("bytes"),
                }
            )
        else:
            return


async def _lifespan(receive: Any, send: Any, fail: bool) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if fail:
                await send(
                    {"type": "lifespan.startup.failed", "message": "the database is not there"}
                )
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _http(scope: Scope, receive: Any, send: Any) -> None:
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    if path == "/slow":
        await asyncio.sleep(_seconds(scope))
        await _respond(send, b"slow done")
    elif path == "/block":
        time.sleep(_seconds(scope))
        await _respond(send, b"blocked")
    elif path == "/scope":
        info = {
            "root_path": scope.get("root_path", ""),
            "client": (scope.get("client") or ["", 0])[0],
            "scheme": scope.get("scheme"),
            "pid": os.getpid(),
        }
        await _respond(send, json.dumps(info).encode(), content_type=b"application/json")
    elif path == "/error":
        raise RuntimeError("a view that fails")
    elif path == "/print":
        print("printed by the application", flush=True)
        await _respond(send, b"printed")
    else:
        await _respond(send, f"ok {os.getpid()}".encode())


def build(fail_startup: bool = False) -> Any:
    async def application(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, fail_startup)
        elif scope["type"] == "websocket":
            await _websocket_echo(receive, send)
        else:
            await _http(scope, receive, send)

    return application


application = build()
failing_startup = build(fail_startup=True)


async def hello(scope: Scope, receive: Any, send: Any) -> None:
    """The smallest useful ASGI app: where the server, not the app, is the cost."""
    if scope["type"] == "http":
        await _respond(send, b"Hello, world!")
