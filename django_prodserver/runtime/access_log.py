"""Access lines for ASGI requests in gunicorn's ``access_log_format``: through gunicorn's logger
in our gunicorn worker, through ``django_prodserver.access`` under the uvicorn backends."""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from .._compat import gunicorn_access_log_enabled

if TYPE_CHECKING:
    from .access_format import AccessFormat, Exchange

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


class AccessLogMiddleware:
    """ASGI middleware that times each HTTP request, notes its status, headers and bytes
    sent, and hands the finished :class:`Exchange` to ``record``. It reads the scope at the
    end, so a client address rewritten by the proxy-headers middleware inside it counts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def record(self, exchange: Exchange) -> None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from .access_format import Exchange

        started = time.monotonic()
        exchange = Exchange(scope)

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.body":
                exchange.sent += len(message.get("body", b""))
            elif message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = message.get("headers", ())
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        except BaseException:
            if exchange.status == "-":
                exchange.status = 500
            raise
        finally:
            exchange.duration = time.monotonic() - started
            self.record(exchange)


class GunicornAccessLog(AccessLogMiddleware):
    """One access line per HTTP request, in gunicorn's ``access_log_format``.

    With gunicorn's own logger class the line is made by ``AccessFormat``: only the atoms
    the format names are computed. A custom ``logger_class`` (statsd's, a project's own,
    our JSON one) gets gunicorn's ``access()`` call, with every atom, as from gunicorn's
    own workers."""

    def __init__(self, app: ASGIApp, log: AccessLogger) -> None:
        from gunicorn.glogging import Logger

        from .access_format import AccessFormat

        super().__init__(app)
        self.log = log
        plain = type(log) is Logger
        self.enabled = gunicorn_access_log_enabled(log, log.cfg)  # type: ignore[attr-defined]
        self.fast = AccessFormat(log.cfg.access_log_format) if plain else None  # type: ignore[attr-defined]
        #: Our JSON logger class takes the exchange itself.
        self.access_exchange: Callable[[Exchange], None] | None = getattr(
            log, "access_exchange", None
        )

    def record(self, exchange: Exchange) -> None:
        if self.access_exchange is not None:
            self.access_exchange(exchange)
        elif self.fast is None:
            self._call_access(exchange)
        elif self.enabled:
            log: Any = self.log
            try:
                write_line(log.access_log, self.fast, exchange)
            except Exception:
                log.error(traceback.format_exc())

    def _call_access(self, exchange: Exchange) -> None:
        """gunicorn's ``access()``, with the objects its atoms read, for a custom logger."""
        from .access_format import text

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


class AccessLineWriter:
    """Access lines in a gunicorn-style format for servers without one (uvicorn under
    ``access-log-format`` or JSON logs, waitress), on logger ``django_prodserver.access``.
    In JSON mode each line is a record whose fields are the request's (``json_logs.py``)."""

    def __init__(self, access_log_format: str, json_lines: bool, request_id_header: str) -> None:
        from .access_format import AccessFormat

        self.format = AccessFormat(access_log_format)
        self.json_lines = json_lines
        self.request_id_header = request_id_header.lower()
        self.logger = logging.getLogger(ACCESS_LOGGER)

    def record(self, exchange: Exchange) -> None:
        try:
            if self.json_lines:
                from .access_format import json_fields

                self.logger.info(
                    CAP.cut(self.format.line(exchange)),
                    extra=json_fields(exchange, self.request_id_header),
                )
            else:
                write_line(self.logger, self.format, exchange)
        except Exception:
            self.logger.exception("Access line not written")


class FormattedAccessLog(AccessLogMiddleware):
    """:class:`AccessLineWriter`'s lines for an ASGI application."""

    def __init__(self, app: ASGIApp, writer: AccessLineWriter) -> None:
        super().__init__(app)
        self.writer = writer

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


#: Escapes for what must never reach a log line raw: line breaks (a forged second line),
#: backslashes (which would make gunicorn's own escaping of quotes ambiguous), and terminal
#: escape sequences. gunicorn escapes the quotes itself (SafeAtoms).
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(text: str) -> str:
    """``text`` safe inside one log line: control characters as ``\\xNN`` (or ``\\n``),
    backslashes doubled, everything else as it was."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if not char.isprintable() else char)
        for char in text
    )


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
        from .access_format import AccessFormat

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
    from .access_format import ENVIRON_KEY, RAW_URI_KEY, Exchange

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
