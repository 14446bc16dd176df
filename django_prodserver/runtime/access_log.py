"""Access lines for ASGI requests in gunicorn's ``access_log_format``: through gunicorn's logger
in our gunicorn worker, through ``django_prodserver.access`` under the uvicorn backends."""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from time import monotonic
from typing import Any, Protocol

from .._compat import gunicorn_access_log_enabled
from .access_format import (
    ENVIRON_KEY,
    RAW_URI_KEY,
    AccessFormat,
    Exchange,
    escaped,
    json_fields,
    text,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AccessLogger(Protocol):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None: ...


class _Response:
    """What gunicorn's atoms read from a response: status, headers, bytes sent."""

    def __init__(self) -> None:
        self.status: int | str = "-"
        self.headers: list[tuple[str, str]] = []
        self.sent = 0


class _Request:
    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.headers = headers


class SentExchange(Exchange):
    """An exchange noted from what the application sends: ``sending`` is its ``send``."""

    __slots__ = ("send",)

    def __init__(self, scope: Scope, send: Send) -> None:
        # Every field set here rather than through Exchange's __init__: one call less on
        # each request.
        self.scope = scope
        self.status = "-"
        self.response_headers = ()
        self.sent = 0
        self.duration = 0.0
        self._request_headers = None
        self.send = send

    def sending(self, message: Message) -> Awaitable[None]:
        # A plain method handing back send's awaitable: no coroutine of its own.
        kind = message["type"]
        if kind == "http.response.body":
            self.sent += len(message.get("body", b""))
        elif kind == "http.response.start":
            self.status = message["status"]
            self.response_headers = message.get("headers", ())
        return self.send(message)


class AccessLogMiddleware:
    """ASGI middleware that notes each HTTP request's status, headers, bytes sent and (when
    ``timed``) duration, and hands the finished :class:`Exchange` to ``record``. It reads the
    scope at the end, so a client address rewritten by the proxy-headers middleware inside
    it counts."""

    #: Whether the lines need each request's duration. A format without ``T``, ``D``, ``M``
    #: or ``L`` does not, and then no clock is read.
    timed = True

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def record(self, exchange: Exchange) -> None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = SentExchange(scope, send)
        started = monotonic() if self.timed else 0.0
        try:
            await self.app(scope, receive, exchange.sending)
        except BaseException:
            if exchange.status == "-":
                exchange.status = 500
            raise
        finally:
            if self.timed:
                exchange.duration = monotonic() - started
            self.record(exchange)


class GunicornAccessLog(AccessLogMiddleware):
    """One access line per HTTP request, in gunicorn's ``access_log_format``.

    With gunicorn's own logger class the line is made by ``AccessFormat``: only the atoms
    the format names are computed. A custom ``logger_class`` (statsd's, a project's own,
    our JSON one) gets gunicorn's ``access()`` call, with every atom, as from gunicorn's
    own workers."""

    def __init__(self, app: ASGIApp, log: AccessLogger) -> None:
        from gunicorn.glogging import Logger

        super().__init__(app)
        self.log = log
        plain = type(log) is Logger
        untyped: Any = log  # gunicorn's logger
        self.enabled = gunicorn_access_log_enabled(log, untyped.cfg)
        self.lines = (
            LineBatch(
                untyped.access_log, AccessFormat(untyped.cfg.access_log_format), self._report_error
            )
            if plain
            else None
        )
        #: Our JSON logger class takes the exchange itself.
        self.access_exchange: Callable[[Exchange], None] | None = getattr(
            log, "access_exchange", None
        )
        # The one path every request takes, chosen once.
        if self.access_exchange is not None:
            self.record = self.access_exchange  # type: ignore[method-assign]
        elif self.lines is None:
            self.record = self._call_access  # type: ignore[method-assign]
        elif self.enabled:
            self.record = self.lines.add  # type: ignore[method-assign]
            self.timed = self.lines.compiled.uses_duration

    def record(self, exchange: Exchange) -> None:
        """Nothing: gunicorn writes no access lines here (no ``accesslog``, or disabled)."""

    def _report_error(self) -> None:
        self.log.error(traceback.format_exc())  # type: ignore[attr-defined]

    def _call_access(self, exchange: Exchange) -> None:
        """gunicorn's ``access()``, with the objects its atoms read, for a custom logger."""
        response = _Response()
        response.status, response.sent = exchange.status, exchange.sent
        response.headers = [(text(key), text(value)) for key, value in exchange.response_headers]
        headers = [
            (key.decode("latin-1"), value.decode("latin-1"))
            for key, value in exchange.scope.get("headers", ())
        ]
        self.log.access(
            response,
            _Request(headers),
            wsgi_like_environ(exchange.scope, headers),  # type: ignore[arg-type]
            timedelta(seconds=exchange.duration),
        )


def gunicorn_writes_access_lines(log: Any) -> bool:
    """Whether an access line is written for each request through gunicorn's logger
    ``log``: with gunicorn's own logger class, only when it has somewhere to write them
    (``accesslog`` and the like). Without that, no access-log middleware is needed at
    all. A custom logger class decides in its own ``access()``, so it is always called."""
    from gunicorn.glogging import Logger

    return type(log) is not Logger or gunicorn_access_log_enabled(log, log.cfg)


class AccessLineWriter:
    """Access lines in a gunicorn-style format for servers without one (uvicorn under
    ``access-log-format`` or JSON logs, waitress), on logger ``django_prodserver.access``.
    In JSON mode each line is a record whose fields are the request's (``json_logs.py``)."""

    def __init__(self, access_log_format: str, json_lines: bool, request_id_header: str) -> None:
        self.format = AccessFormat(access_log_format)
        self.json_lines = json_lines
        self.request_id_header = request_id_header.lower()
        self.logger = logging.getLogger(ACCESS_LOGGER)
        self.lines = LineBatch(self.logger, self.format, self._report_error)

    def _report_error(self) -> None:
        self.logger.exception("Access line not written")

    def record(self, exchange: Exchange) -> None:
        if not self.json_lines:
            self.lines.add(exchange)
            return
        try:
            self.logger.info(
                CAP.cut(self.format.line(exchange)),
                extra=json_fields(exchange, self.request_id_header),
            )
        except Exception:
            self._report_error()


class FormattedAccessLog(AccessLogMiddleware):
    """:class:`AccessLineWriter`'s lines for an ASGI application."""

    def __init__(self, app: ASGIApp, writer: AccessLineWriter) -> None:
        super().__init__(app)
        self.writer = writer
        if not writer.json_lines:
            self.record = writer.lines.add  # type: ignore[method-assign]
            self.timed = writer.format.uses_duration

    def record(self, exchange: Exchange) -> None:
        self.writer.record(exchange)


#: Our access lines' logger, for servers whose own access line has no format option.
ACCESS_LOGGER = "django_prodserver.access"


def log_to_stdout(name: str, level: int) -> None:
    """Give logger ``name`` an access handler as uvicorn's (the bare line on stdout), unless a
    logging configuration already gave it handlers."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level or logging.INFO)
    logger.disabled = False


def write_line(logger: logging.Logger, compiled: AccessFormat, exchange: Exchange) -> None:
    """The line, through ``logger``. While that logger is as servers set it up (stream or
    file handlers printing the bare message), the line goes straight to their streams, as
    ``Handler.emit`` would write it, without a LogRecord per request."""
    handlers = plain_handlers(logger)
    if handlers is None:
        if logger.isEnabledFor(logging.INFO):
            logger.info(compiled.format, compiled.atoms(exchange))
        return
    if not handlers:
        return
    line = CAP.cut(compiled.line(exchange))
    for handler in handlers:
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        finally:
            handler.release()


class LineBatch:
    """The access lines of one turn of the event loop, written after it (``call_soon``):
    one write and one flush per stream for every request that finished in that turn,
    instead of one each, and the handlers checked (``plain_handlers``) and the clock read
    once per turn. Each line is made as its request ends; only the write waits, for
    microseconds.

    Off an event loop (a WSGI server's threads) and when the logger is not set up plainly,
    each line goes out at once, as ``write_line`` writes it. Lines still waiting when the
    process exits are written by an ``atexit`` hook."""

    def __init__(
        self, logger: logging.Logger, compiled: AccessFormat, on_error: Callable[[], None]
    ) -> None:
        self.logger = logger
        self.compiled = compiled
        self.line_at_tick = compiled.line_at_tick
        self.on_error = on_error
        self.lines: list[str] = []
        #: The handlers of the batch being gathered; None when none is.
        self.handlers: list[logging.StreamHandler[Any]] | None = None
        self.flushed_at_exit = False

    def add(self, exchange: Exchange) -> None:
        try:
            if self.handlers is None and not self._gather():
                write_line(self.logger, self.compiled, exchange)
                return
            line = self.line_at_tick(exchange)
            self.lines.append(line if len(line) <= ACCESS_LINE_LIMIT else CAP.cut(line))
        except Exception:
            self.on_error()

    def _gather(self) -> bool:
        """Start a batch, if an event loop runs here and the handlers are plain."""
        # asyncio's own check, which returns None off a loop rather than raising.
        loop = asyncio._get_running_loop()
        if loop is None:
            return False
        handlers = plain_handlers(self.logger)
        if not handlers:
            return False
        if not self.flushed_at_exit:
            atexit.register(self.flush)
            self.flushed_at_exit = True
        self.handlers = handlers
        self.compiled.tick()  # the time of this batch's lines
        loop.call_soon(self.flush)
        return True

    def flush(self) -> None:
        handlers, lines = self.handlers, self.lines
        self.handlers, self.lines = None, []
        if not handlers or not lines:
            return
        try:
            for handler in handlers:
                terminator = handler.terminator
                handler.acquire()
                try:
                    handler.stream.write(terminator.join(lines) + terminator)
                    handler.flush()
                finally:
                    handler.release()
        except Exception:
            self.on_error()


#: The handler classes gunicorn's logger sets up for ``accesslog`` (``-`` or a file).
PLAIN_HANDLERS = (logging.StreamHandler, logging.FileHandler)
BARE_MESSAGE = "%(message)s"


def plain_handlers(logger: logging.Logger) -> list[logging.StreamHandler[Any]] | None:
    """``logger``'s handlers when writing a bare line to each is all logging would do: INFO
    enabled, no filter but ours, no propagation, and stream or file handlers (exactly those
    classes) without filters, formatting the bare message. None otherwise."""
    if logger.disabled or logger.propagate or not logger.isEnabledFor(logging.INFO):
        return None
    if any(not isinstance(found, CappedLine) for found in logger.filters):
        return None
    handlers = []
    for handler in logger.handlers:
        if type(handler) not in PLAIN_HANDLERS or handler.filters or handler.level > logging.INFO:
            return None
        formatter = handler.formatter
        if formatter is None or type(formatter) is not logging.Formatter:
            return None
        if formatter._fmt != BARE_MESSAGE or getattr(handler, "stream", None) is None:
            return None
        handlers.append(handler)
    return handlers  # type: ignore[return-value]


def wsgi_like_environ(scope: Scope, headers: list[tuple[str, str]]) -> dict[str, Any]:
    """The environ keys gunicorn's access atoms read, from an ASGI HTTP scope."""
    query = scope.get("query_string", b"").decode("latin-1")
    raw_path = scope.get("raw_path") or scope["path"].encode()
    raw_uri = raw_path.decode("latin-1") + (f"?{query}" if query else "")
    client = scope.get("client") or ("-", 0)
    environ: dict[str, Any] = {
        "REMOTE_ADDR": client[0],
        "REQUEST_METHOD": scope["method"],
        "RAW_URI": raw_uri,
        "PATH_INFO": scope["path"],
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
    }
    for name, value in headers:
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def escape_access_atoms(log: Any) -> None:
    """Make gunicorn's logger escape every atom of its access lines (the user name from
    Basic auth, the decoded path, headers), whichever worker writes them; with gunicorn's
    own logger class, through the compiled format (``compile_access_lines``). Idempotent."""
    if getattr(log, "_prodserver_escapes_atoms", False):
        return
    compile_access_lines(log)
    atoms = log.atoms

    def escaping_atoms(resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        return {
            key: escaped(value) if isinstance(value, str) else value
            for key, value in atoms(resp, req, environ, request_time).items()
        }

    log.atoms = escaping_atoms
    log._prodserver_escapes_atoms = True
    cap_access_lines(log.access_log)


#: The longest access line written; the rest is cut, and the line says how much.
ACCESS_LINE_LIMIT = 16 * 1024


class CappedLine(logging.Filter):
    """Cuts an access line at ``limit`` characters: one request must not write megabytes
    to the log (with the request limits off, or a project's own wide format)."""

    def __init__(self, limit: int = ACCESS_LINE_LIMIT) -> None:
        super().__init__()
        self.limit = limit

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            # uvicorn's access formatter reads the arguments themselves: cut each one.
            record.args = tuple(
                self.cut(arg) if isinstance(arg, str) else arg for arg in record.args
            )
            return True
        message = record.getMessage()
        if len(message) > self.limit:
            record.msg = self.cut(message)
            record.args = None
        return True

    def cut(self, text: str) -> str:
        if len(text) <= self.limit:
            return text
        return f"{text[: self.limit]}... [{len(text) - self.limit} characters cut]"


CAP = CappedLine()


def cap_access_lines(logger: logging.Logger) -> None:
    """Add a CappedLine filter to ``logger`` once."""
    if not any(isinstance(existing, CappedLine) for existing in logger.filters):
        logger.addFilter(CappedLine())


def compile_access_lines(log: Any) -> None:
    """gunicorn's own logger class writes the access lines of its WSGI workers (sync,
    gthread ...) with :class:`AccessFormat`, as our worker does: the same line, atom for
    atom, without building every atom of every request first. A custom ``logger_class``
    keeps its own ``access()``."""
    from gunicorn.glogging import Logger

    if type(log) is not Logger:
        return
    # Compiled in the worker that writes (the ``p`` atom is its pid), once per format.
    compiled: dict[str, AccessFormat] = {}

    def access(resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not gunicorn_access_log_enabled(log, log.cfg):
            return
        fmt = log.cfg.access_log_format
        line_format = compiled.get(fmt) or compiled.setdefault(fmt, AccessFormat(fmt))
        try:
            write_line(log.access_log, line_format, wsgi_exchange(resp, req, environ, request_time))
        except Exception:
            log.error(traceback.format_exc())

    log.access = access


def wsgi_exchange(
    resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
) -> Exchange:
    """What gunicorn's ``access()`` is given, as an :class:`Exchange` whose atoms are the
    ones gunicorn's ``atoms()`` would make."""
    protocol = str(environ.get("SERVER_PROTOCOL", "HTTP/1.1"))
    scope = {
        "client": (environ.get("REMOTE_ADDR", "-"),),
        "method": environ.get("REQUEST_METHOD"),
        "path": environ.get("PATH_INFO"),
        "query_string": str(environ.get("QUERY_STRING", "")).encode("latin-1"),
        "http_version": protocol.partition("/")[2],
        "headers": getattr(req, "headers", ()),
        RAW_URI_KEY: environ.get("RAW_URI", ""),
        ENVIRON_KEY: environ,
    }
    return Exchange(
        scope,
        status=resp.status,
        response_headers=resp.headers,
        sent=resp.sent,
        duration=request_time.total_seconds(),
    )
