"""Health paths answered by the server process itself, before the request reaches Django:
cheap, and never touching the database.

- the liveness path answers 200 while the process runs;
- the readiness path answers 200 once the application is loaded and serving, and 503 from
  the moment the server starts draining (``drain.py``), so that a load balancer or
  Kubernetes stops sending it new requests while it still serves them.

Both are off unless configured. Every worker process reads them from its environment
(spawned by uvicorn or Granian, forked by gunicorn), and reads whether the server is
draining from the drain flag, a file the supervising process creates when it starts
draining. Health requests are left out of access lines unless asked for.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

LIVENESS_VARIABLE = "PRODSERVER_LIVENESS_PATH"
READINESS_VARIABLE = "PRODSERVER_READINESS_PATH"
#: "1": health requests get access lines like any other.
LOGGED_VARIABLE = "PRODSERVER_LOG_HEALTH_CHECKS"
#: The file whose existence means "draining", for every process of one server.
DRAIN_FLAG_VARIABLE = "PRODSERVER_DRAIN_FLAG"
#: Set in a WSGI environ the health paths answered, so that an access logger can skip it.
HEALTH_MARK = "django_prodserver.health"
#: Set in the environ of every request the WSGI health paths answered (metrics skip them).
HEALTH_ANSWERED = "django_prodserver.health_answered"

ALLOWED_METHODS = ("GET", "HEAD")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


_draining_here = False


def mark_draining() -> None:
    """This process keeps the drain delay and has started it."""
    global _draining_here
    _draining_here = True


def draining() -> bool:
    """Whether this process, or the one supervising it, has started draining (the
    supervisor's drain flag exists)."""
    if _draining_here:
        return True
    flag = os.environ.get(DRAIN_FLAG_VARIABLE)
    return bool(flag) and os.path.exists(str(flag))


@dataclass(frozen=True)
class HealthPaths:
    liveness: str | None = None
    readiness: str | None = None
    logged: bool = False

    @classmethod
    def from_environment(cls) -> HealthPaths:
        return cls(
            liveness=os.environ.get(LIVENESS_VARIABLE) or None,
            readiness=os.environ.get(READINESS_VARIABLE) or None,
            logged=os.environ.get(LOGGED_VARIABLE) == "1",
        )

    @property
    def configured(self) -> bool:
        return self.liveness is not None or self.readiness is not None

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(path for path in (self.liveness, self.readiness) if path is not None)

    def answer(self, path: str, method: str) -> Answer | None:
        """The response for ``path``, or None when it is not a health path."""
        if path == self.liveness:
            status, body = 200, b"alive\n"
        elif path == self.readiness:
            status, body = (503, b"draining\n") if draining() else (200, b"ready\n")
        else:
            return None
        headers: tuple[tuple[str, str], ...] = (
            ("content-type", "text/plain; charset=utf-8"),
            ("cache-control", "no-store"),
        )
        if method not in ALLOWED_METHODS:
            status, body = 405, b"method not allowed\n"
            headers = (*headers, ("allow", ", ".join(ALLOWED_METHODS)))
        headers = (*headers, ("content-length", str(len(body))))
        return Answer(status, b"" if method == "HEAD" else body, headers)


class HealthEndpoints:
    """ASGI: the health paths answered here, everything else passed to ``app``."""

    def __init__(self, app: ASGIApp, paths: HealthPaths) -> None:
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            answer = self.paths.answer(scope["path"], scope["method"])
            if answer is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": answer.status,
                        "headers": [(k.encode(), v.encode()) for k, v in answer.headers],
                    }
                )
                await send({"type": "http.response.body", "body": answer.body})
                return
        await self.app(scope, receive, send)


class WSGIHealthEndpoints:
    """WSGI: the health paths answered here, everything else passed to ``app``."""

    def __init__(self, app: Callable[..., Iterable[bytes]], paths: HealthPaths) -> None:
        self.app = app
        self.paths = paths

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        answer = self.paths.answer(path, environ.get("REQUEST_METHOD", "GET"))
        if answer is None:
            return self.app(environ, start_response)
        environ[HEALTH_ANSWERED] = True
        if not self.paths.logged:
            environ[HEALTH_MARK] = True
        reason = {200: "OK", 405: "Method Not Allowed", 503: "Service Unavailable"}
        start_response(f"{answer.status} {reason[answer.status]}", list(answer.headers))
        return [answer.body]


def with_health_paths(
    app: ASGIApp, paths: HealthPaths, access_log: Callable[[ASGIApp], ASGIApp] | None
) -> ASGIApp:
    """``app`` with the health paths and, if given, an access-log wrapper: the health paths
    outside it (no access lines for them) unless ``paths.logged``."""
    wrapped: ASGIApp = _layered(app, paths, access_log, HealthEndpoints)
    return wrapped


def with_wsgi_health_paths(
    app: Callable[..., Any], paths: HealthPaths, access_log: Callable[[Any], Any] | None
) -> Callable[..., Any]:
    """The WSGI counterpart of :func:`with_health_paths`."""
    wrapped: Callable[..., Any] = _layered(app, paths, access_log, WSGIHealthEndpoints)
    return wrapped


def _layered(
    app: Any,
    paths: HealthPaths,
    access_log: Callable[[Any], Any] | None,
    endpoints: Callable[[Any, HealthPaths], Any],
) -> Any:
    def logged(inner: Any) -> Any:
        return access_log(inner) if access_log else inner

    if not paths.configured:
        return logged(app)
    if paths.logged:
        return logged(endpoints(app, paths))
    return endpoints(logged(app), paths)


class HealthLinesOmitted(logging.Filter):
    """Drops the access lines of health requests from a server's own access logger:
    uvicorn's (the path with its query is the third argument) and Granian's (a mapping
    with ``path``)."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        super().__init__()
        self.health_paths = frozenset(paths)

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].partition("?")[0]
        elif isinstance(args, MutableMapping) or hasattr(args, "get"):
            path = str(args.get("path", ""))
        else:
            return True
        return path not in self.health_paths


def omit_health_lines(logger_name: str, paths: HealthPaths | None = None) -> None:
    """Leave health requests out of ``logger_name``'s lines (once), unless asked for."""
    paths = paths or HealthPaths.from_environment()
    if not paths.configured or paths.logged:
        return
    logger = logging.getLogger(logger_name)
    if not any(isinstance(found, HealthLinesOmitted) for found in logger.filters):
        logger.addFilter(HealthLinesOmitted(paths.paths))


def omit_health_from_gunicorn_access(log: Any) -> None:
    """gunicorn's logger writes no access line for a request the health paths answered
    (they mark its environ). Idempotent."""
    if getattr(log, "_prodserver_omits_health", False):
        return
    access = log.access

    def access_unless_health(
        resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> None:
        if not environ.get(HEALTH_MARK):
            access(resp, req, environ, request_time)

    log.access = access_unless_health
    log._prodserver_omits_health = True
