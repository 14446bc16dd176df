"""Access lines for a WSGI server that writes none of its own (waitress), in the same
format and JSON fields as our ASGI ones: the environ is read as the ASGI scope would be."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, Protocol

from .access_format import ENVIRON_KEY, Exchange, text
from .access_log import AccessLineWriter

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def scope_of(environ: dict[str, Any]) -> dict[str, Any]:
    """What our atoms read from an ASGI scope, from a WSGI environ; request headers and the
    raw URI are read from the environ itself, and only when the format names them."""
    return {
        "type": "http",
        "client": (environ.get("REMOTE_ADDR") or "-",),
        "method": environ.get("REQUEST_METHOD", "GET"),
        "path": environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
        "query_string": str(environ.get("QUERY_STRING", "")).encode("latin-1"),
        "http_version": str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")).partition("/")[2] or "1.1",
        ENVIRON_KEY: environ,
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
        try:
            body = self.app(environ, noting_start_response(start_response, exchange))
        except BaseException:
            exchange.status = 500 if exchange.status == "-" else exchange.status
            self._record(exchange, started)
            raise
        return recorded_body(environ, body, exchange, partial(self._record, exchange, started))

    def _record(self, exchange: Exchange, started: float) -> None:
        exchange.duration = time.monotonic() - started
        self.writer.record(exchange)


class SentResponse(Protocol):
    """What is noted of a WSGI response as it is sent: an :class:`Exchange`, or metrics'."""

    status: int | str
    response_headers: Iterable[tuple[Any, Any]]
    sent: int


def noting_start_response(
    start_response: Callable[..., Any], response: SentResponse
) -> Callable[..., Any]:
    """``start_response``, noting the status and headers in ``response``, and counting the
    bytes given to the ``write()`` it returns (the WSGI 1.0 way of sending)."""

    def noting(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
        response.status = int(status.split(None, 1)[0])
        response.response_headers = headers  # the atoms read str pairs too
        write = start_response(status, headers, *exc_info)

        def counting_write(data: bytes) -> Any:
            response.sent += len(data)
            return write(data)

        return counting_write

    return noting


def recorded_body(
    environ: dict[str, Any],
    body: Iterable[bytes],
    response: SentResponse,
    record: Callable[[], None],
) -> Iterable[bytes]:
    """``body`` for the server: its bytes counted in ``response``, and ``record`` called
    once the server closes it, that is once the response is sent, or failed."""
    file_wrapper = environ.get("wsgi.file_wrapper")
    if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
        # The server sends its own file wrapper from the file (waitress without copying
        # it through Python): left as it is, recorded when the server closes it.
        return recorded_on_close(body, response, record)
    if hasattr(body, "__len__"):
        # A server reads a one-item body's length as its Content-Length (waitress does).
        return SizedRecordedBody(body, response, record)
    return RecordedBody(body, response, record)


def recorded_on_close(
    body: Iterable[bytes], exchange: SentResponse, record: Callable[[], None]
) -> Iterable[bytes]:
    """``body``, recorded when the server closes it; its size from Content-Length."""
    close = getattr(body, "close", None)

    def recording_close() -> None:
        try:
            if close is not None:
                close()
        finally:
            length = next(
                (
                    value
                    for name, value in exchange.response_headers
                    if text(name).lower() == "content-length"
                ),
                None,
            )
            exchange.sent = int(length) if length is not None and str(length).isdigit() else 0
            record()

    body.close = recording_close  # type: ignore[attr-defined]
    return body


class RecordedBody:
    """The application's body, counted as the server sends it; recorded on ``close()``,
    which WSGI servers call once the response is done, or failed."""

    def __init__(
        self, body: Iterable[bytes], exchange: SentResponse, record: Callable[[], None]
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


class SizedRecordedBody(RecordedBody):
    def __init__(
        self, body: Iterable[bytes], exchange: SentResponse, record: Callable[[], None]
    ) -> None:
        super().__init__(body, exchange, record)
        self.length = len(body)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self.length
