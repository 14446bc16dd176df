"""A raw ASGI hello app: what it measures is the server, not the application."""

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"Hello, world!"})


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The same hello for the WSGI servers."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, world!"]
