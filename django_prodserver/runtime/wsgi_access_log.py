"""Access lines for a WSGI server that writes none of its own (waitress), in the same
format and JSON fields as our ASGI ones: the environ is read as the ASGI scope would be."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

from .access_format import Exchange
from .access_log import AccessLineWriter

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
UNHEADED = {"CONTENT_TYPE": b"content-type", "CONTENT_LENGTH": b"content-length"}


def scope_of(environ: dict[str, Any]) -> dict[str, Any]:
    """What our atoms read from an ASGI scope, from a WSGI environ."""
    headers = [
        (key[5:].replace("_", "-").lower().encode("latin-1"), str(value).encode("latin-1"))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    headers += [
        (name, str(environ[key]).encode("latin-1"))
        for key, name in UNHEADED.items()
        if environ.get(key)
    ]
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    protocol = str(environ.get("SERVER_PROTOCOL", "HTTP/1.1"))
    return {
        "type": "http",
        "client": (environ.get("REMOTE_ADDR") or "-", int(environ.get("REMOTE_PORT") or 0)),
        "method": environ.get("REQUEST_METHOD", "GET"),
        "path": path,
        "raw_path": quote(path, safe="/;=,:@!$&'()*+~").encode("latin-1"),
        "query_string": str(environ.get("QUERY_STRING", "")).encode("latin-1"),
        "http_version": protocol.partition("/")[2] or "1.1",
        "headers": headers,
    }


class WSGIAccessLog:
    """WSGI middleware: one access line per request, once its body is sent (or fails)."""

    def __init__(self, app: WSGIApp, writer: AccessLineWriter) -> None:
        self.app = app
        self.writer = writer

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.monotonic()
        exchange = Exchange(scope_of(environ))

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], *exc_info: Any
        ) -> Any:
            exchange.status = int(status.split(None, 1)[0])
            exchange.response_headers = [
                (name.encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]
            write = start_response(status, headers, *exc_info)

            def counting_write(data: bytes) -> Any:
                exchange.sent += len(data)
                return write(data)

            return counting_write

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            exchange.status = 500 if exchange.status == "-" else exchange.status
            self._record(exchange, started)
            raise
        return RecordedBody(body, exchange, lambda: self._record(exchange, started))

    def _record(self, exchange: Exchange, started: float) -> None:
        exchange.duration = time.monotonic() - started
        self.writer.record(exchange)


class RecordedBody:
    """The application's body, counted as the server sends it; recorded on ``close()``,
    which WSGI servers call once the response is done, or failed."""

    def __init__(
        self, body: Iterable[bytes], exchange: Exchange, record: Callable[[], None]
    ) -> None:
        self.body = body
        self.exchange = exchange
        self.recorded = record

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.exchange.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.recorded()
