"""A plain ASGI websocket echo, mounted beside Django (which speaks only HTTP)."""

from typing import Any

from django.core.asgi import get_asgi_application

Scope = dict[str, Any]
Receive = Any
Send = Any

ECHO_PATH = "/ws/echo/"


async def websocket_echo(scope: Scope, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            reply: dict[str, Any] = {"type": "websocket.send"}
            if message.get("text") is not None:
                reply["text"] = message["text"]
            else:
                reply["bytes"] = message.get("bytes") or b""
            await send(reply)
        elif message["type"] == "websocket.disconnect":
            return


def with_websockets(django_application: Any) -> Any:
    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if scope["path"] == ECHO_PATH:
                await websocket_echo(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 4404})
            return
        await django_application(scope, receive, send)

    return application


def build_application() -> Any:
    return with_websockets(get_asgi_application())
