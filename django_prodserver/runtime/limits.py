"""Request size limits for uvicorn's HTTP protocols, with gunicorn's names, defaults and
status codes: a request line longer than ``line`` bytes gets 414, more than ``fields``
header fields or one longer than ``field_size`` bytes gets 431.

uvicorn has no such limits: with httptools a header of any size is read into memory (and
written to the access log). These subclasses of uvicorn's own protocols check each request
as it is parsed; the limits travel on the ``Config`` (``config.prodserver_limits``), so
that uvicorn's spawned workers receive them with the rest of their configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol

from .access_log import cap_access_lines

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

#: What a request line holds besides its target: "GET " and " HTTP/1.1".
REQUEST_LINE_OVERHEAD = len("OPTIONS  HTTP/1.1")


@dataclass(frozen=True)
class RequestLimits:
    """0 means no limit, as in gunicorn."""

    line: int = 4094
    fields: int = 100
    field_size: int = 8190
    #: Seconds a client has to send a whole request head, from its first byte (or from
    #: connecting); then the connection is closed. 0: no limit.
    head_timeout: float = 10.0

    def head_size(self) -> int | None:
        """The most bytes a request head may take before it is refused outright."""
        if not (self.line and self.fields and self.field_size):
            return None
        return self.line + 2 + self.fields * (self.field_size + 2) + 2


class LimitExceeded(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def check_request_line(limits: RequestLimits, target_size: int) -> None:
    if limits.line and target_size + REQUEST_LINE_OVERHEAD > limits.line:
        raise LimitExceeded(414, f"Request Line is too large (limit {limits.line} bytes)")


def check_header(limits: RequestLimits, count: int, name: bytes, value: bytes) -> None:
    if limits.fields and count > limits.fields:
        raise LimitExceeded(431, f"Too many header fields (limit {limits.fields})")
    if limits.field_size and len(name) + len(value) + 2 > limits.field_size:
        raise LimitExceeded(
            431, f"Request header field is too large (limit {limits.field_size} bytes)"
        )


def refusal(status: int, message: str) -> bytes:
    reason = {414: b"Request-URI Too Long", 431: b"Request Header Fields Too Large"}[status]
    body = message.encode("ascii")
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, reason),
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


class SlowClientGuard:
    """What both protocols add: a deadline for each request head, uvicorn's
    ``limit_concurrency`` counting requests being served, not connections (a thousand clients
    dripping their heads must not lock real ones out with 503s), and the status of a
    request refused for a limit."""

    loop: Any
    transport: Any
    tasks: Any
    limit_concurrency: int | None
    head_timeout: float
    head_timer: Any
    request_concurrency: int | None
    refused: LimitExceeded | None

    def guard(self, config: Config, limits: RequestLimits) -> None:
        self.head_timeout = limits.head_timeout
        self.head_timer = None
        self.request_concurrency = config.limit_concurrency
        self.limit_concurrency = None

    def start_head_timer(self) -> None:
        if self.head_timeout and self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self.head_timed_out)

    def stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn answers 400 to whatever its parser rejects; a request refused for a limit
        gets that limit's own status instead (414 or 431)."""
        if self.refused is None:
            super().send_400_response(msg)  # type: ignore[misc]
            return
        self.transport.write(refusal(self.refused.status, self.refused.message))
        self.transport.close()

    def admit(self) -> None:
        """Just before uvicorn decides on a 503: busy only when enough requests run."""
        busy = self.request_concurrency is not None and len(self.tasks) >= self.request_concurrency
        self.limit_concurrency = 0 if busy else None


def limits_of(config: Config) -> RequestLimits:
    limits: RequestLimits = getattr(config, "prodserver_limits", None) or RequestLimits()
    return limits


class LimitedH11Protocol(SlowClientGuard, H11Protocol):
    """uvicorn's h11 protocol, refusing requests over the limits with gunicorn's status,
    and closing connections that do not send a request head in time."""

    def __init__(self, config: Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        cap_access_lines(self.access_logger)  # here, as uvicorn's spawned workers get this class
        self.limits = limits_of(config)
        self.guard(config, self.limits)
        self.in_request = False
        self.refused: LimitExceeded | None = None
        next_event = self.conn.next_event

        def checked_next_event() -> Any:
            try:
                event = next_event()
            except h11.RemoteProtocolError as error:
                if error.error_status_hint == 431:  # h11's own cap on the whole head
                    self.refused = LimitExceeded(431, "Request header fields are too large")
                raise
            if isinstance(event, h11.Request):
                self.stop_head_timer()
                self.in_request = True
                self.admit()
                try:
                    check_request_line(self.limits, len(event.target))
                    for count, (name, value) in enumerate(event.headers, 1):
                        check_header(self.limits, count, name, value)
                except LimitExceeded as exceeded:
                    self.refused = exceeded
                    raise h11.RemoteProtocolError(exceeded.message) from exceeded
            return event

        self.conn.next_event = checked_next_event  # type: ignore[method-assign]

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.start_head_timer()

    def data_received(self, data: bytes) -> None:
        if not self.in_request:
            self.start_head_timer()
        super().data_received(data)

    def on_response_complete(self) -> None:
        self.in_request = False
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_head_timer()
        super().connection_lost(exc)


if HttpToolsProtocol is not None:

    class LimitedHttpToolsProtocol(SlowClientGuard, HttpToolsProtocol):
        """uvicorn's httptools protocol, refusing requests over the limits, a head that
        grows past what the limits allow before its fields are even complete, and a head
        that does not arrive in time."""

        def __init__(self, config: Config, *args: Any, **kwargs: Any) -> None:
            super().__init__(config, *args, **kwargs)
            cap_access_lines(self.access_logger)
            self.limits = limits_of(config)
            self.guard(config, self.limits)
            self.head_limit = self.limits.head_size()
            self.refused: LimitExceeded | None = None
            self.head_bytes = 0
            self.reading_head = True
            self.header_count = 0

        # These run for every request: checks are inlined, and the head timer is armed only
        # when a read ends with the head still incomplete (a normal client sends it whole).

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self.start_head_timer()  # a client that connects and sends nothing

        def connection_lost(self, exc: Exception | None) -> None:
            self.stop_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.reading_head and self.head_limit is not None:
                self.head_bytes += len(data)
                if self.head_bytes > self.head_limit:
                    self.refused = LimitExceeded(431, "Request header fields are too large")
                    self.send_400_response("")
                    return
            super().data_received(data)
            if self.reading_head and self.head_timer is None and self.head_timeout:
                self.start_head_timer()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.reading_head = True
            self.head_bytes = 0
            self.header_count = 0

        def on_url(self, url: bytes) -> None:
            self.url += url
            line = self.limits.line
            if line and len(self.url) + REQUEST_LINE_OVERHEAD > line:
                self._check(check_request_line, len(self.url))

        def on_header(self, name: bytes, value: bytes) -> None:
            self.header_count += 1
            limits = self.limits
            if (limits.fields and self.header_count > limits.fields) or (
                limits.field_size and len(name) + len(value) + 2 > limits.field_size
            ):
                self._check(check_header, self.header_count, name, value)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self.reading_head = False
            if self.head_timer is not None:
                self.stop_head_timer()
            tasks = self.request_concurrency
            self.limit_concurrency = 0 if tasks is not None and len(self.tasks) >= tasks else None
            super().on_headers_complete()

        def _check(self, check: Any, *args: Any) -> None:
            try:
                check(self.limits, *args)
            except LimitExceeded as exceeded:
                self.refused = exceeded
                raise  # httptools raises HttpParserCallbackError: uvicorn sends its "400"


def limited_protocol(config: Config) -> None:
    """Point ``config`` at the limited subclass of the HTTP protocol it would use (a
    protocol class of the project's own is left as it is)."""
    from uvicorn.config import HTTP_PROTOCOLS
    from uvicorn.importer import import_from_string

    chosen = config.http
    protocol = (
        import_from_string(HTTP_PROTOCOLS.get(chosen, chosen))
        if isinstance(chosen, str)
        else chosen
    )
    if (
        HttpToolsProtocol is not None
        and isinstance(protocol, type)
        and issubclass(protocol, HttpToolsProtocol)
    ):
        config.http = LimitedHttpToolsProtocol
    elif isinstance(protocol, type) and issubclass(protocol, H11Protocol):
        config.http = LimitedH11Protocol
