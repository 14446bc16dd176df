"""Access lines for ASGI requests, written by gunicorn's logger in its ``access_log_format``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any, Protocol

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


class GunicornAccessLog:
    def __init__(self, app: ASGIApp, log: AccessLogger) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = datetime.now()
        response = _Response()

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.status = message["status"]
                response.headers = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", ())
                ]
            elif message["type"] == "http.response.body":
                response.sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        except BaseException:
            if response.status == "-":
                response.status = 500
            raise
        finally:
            headers = [
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", ())
            ]
            self.log.access(
                response,
                _Request(headers),
                wsgi_like_environ(scope, headers),
                datetime.now() - started,
            )


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
    Basic auth, the decoded path, headers), whichever worker writes them. Idempotent."""
    if getattr(log, "_prodserver_escapes_atoms", False):
        return
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


def cap_access_lines(logger: logging.Logger) -> None:
    """Add a CappedLine filter to ``logger`` once."""
    if not any(isinstance(existing, CappedLine) for existing in logger.filters):
        logger.addFilter(CappedLine())
