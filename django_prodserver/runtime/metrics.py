"""Prometheus metrics of a server's requests and workers, with prometheus-client in its
multiprocess mode: every worker process writes its figures to files in one directory, and
the endpoint (``metrics_endpoint.py``) adds them up, so the numbers of all workers sum.

- ``prodserver_http_requests_total{method,status}``
- ``prodserver_http_request_duration_seconds{method}`` (a histogram)
- ``prodserver_http_requests_in_flight`` (the live workers' sum)
- ``prodserver_http_response_bytes_total``
- ``prodserver_worker_starts_total`` and ``prodserver_worker_exits_total{reason}``, reason
  ``recycled``, ``crashed`` or ``timed_out`` (recorded by the supervising process, from the
  note a worker leaves when it stops on its own, see :func:`note_exit`)
- ``prodserver_build_info{django,server,server_version,prodserver,python}``

prometheus-client reads ``$PROMETHEUS_MULTIPROC_DIR`` when it is first imported, so it is
imported here only inside functions, once the supervising process has set it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from .access_format import Exchange
from .access_log import AccessLogMiddleware
from .wsgi_access_log import WSGIAccessLog

BIND_VARIABLE = "PRODSERVER_METRICS_BIND"
SERVER_VARIABLE = "PRODSERVER_METRICS_SERVER"
DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
#: Request methods counted by name; any other is counted as "other" (bounded labels).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
EXIT_REASONS = ("recycled", "crashed", "timed_out")


def metrics_wanted() -> bool:
    """Whether this process belongs to a server with metrics (the directory is set)."""
    return bool(os.environ.get(DIRECTORY_VARIABLE)) and bool(os.environ.get(BIND_VARIABLE))


class Metrics:
    """The metric objects, made once per process."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(
            "prodserver_http_requests", "HTTP requests answered", ["method", "status"]
        )
        self.duration = Histogram(
            "prodserver_http_request_duration_seconds",
            "Time from a request's start to the end of its response",
            ["method"],
        )
        self.in_flight = Gauge(
            "prodserver_http_requests_in_flight",
            "HTTP requests being answered",
            multiprocess_mode="livesum",
        )
        self.response_bytes = Counter(
            "prodserver_http_response_bytes", "Bytes of response bodies sent"
        )
        self.worker_starts = Counter("prodserver_worker_starts", "Worker processes started")
        self.worker_exits = Counter(
            "prodserver_worker_exits", "Worker processes that ended", ["reason"]
        )
        self._requests: dict[tuple[str, int], Any] = {}
        self._durations: dict[str, Any] = {}

    def record(self, method: str, status: int, seconds: float, sent: int) -> None:
        method = method if method in METHODS else "other"
        counter = self._requests.get((method, status))
        if counter is None:
            counter = self._requests[(method, status)] = self.requests.labels(method, str(status))
        counter.inc()
        duration = self._durations.get(method)
        if duration is None:
            duration = self._durations[method] = self.duration.labels(method)
        duration.observe(seconds)
        if sent:
            self.response_bytes.inc(sent)


@cache
def metrics() -> Metrics:
    return Metrics()


def record_worker_start() -> None:
    if metrics_wanted():
        metrics().worker_starts.inc()


def record_worker_exit(pid: int, reason: str) -> None:
    """In the supervising process: a worker ended (its live gauges are dropped)."""
    if not metrics_wanted():
        return
    from prometheus_client import multiprocess

    metrics().worker_exits.labels(reason).inc()
    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def note_exit(reason: str) -> None:
    """In a worker that ends on its own (``recycled``) or because it was told to
    (``stopped``): a note its supervisor reads when it reaps it. A worker that leaves no
    note crashed."""
    directory = os.environ.get(DIRECTORY_VARIABLE)
    if directory and metrics_wanted():
        with open(os.path.join(directory, f"exit-{os.getpid()}.note"), "w") as note:
            note.write(reason)


def exit_reason(pid: int, killed_for_timeout: bool) -> str | None:
    """In the supervising process: why ``pid`` ended; None for a stop it was told to make
    (not one of the counted reasons). Removes the worker's note."""
    directory = os.environ.get(DIRECTORY_VARIABLE)
    if not directory:
        return "timed_out" if killed_for_timeout else None
    path = os.path.join(directory, f"exit-{pid}.note")
    try:
        with open(path) as note:
            noted = note.read().strip()
        os.remove(path)
    except OSError:
        noted = ""
    if killed_for_timeout:
        return "timed_out"
    if noted == "recycled":
        return "recycled"
    if noted == "stopped":
        return None
    return "crashed"


class ExchangeMetrics:
    """Records each finished exchange (``access_log.Exchange``) and ends its in-flight
    count: the recorder our access-log middlewares hand their exchanges to."""

    def __init__(self) -> None:
        self.metrics = metrics()

    def started(self) -> None:
        self.metrics.in_flight.inc()

    def record(self, exchange: Exchange) -> None:
        self.metrics.in_flight.dec()
        status = exchange.status if isinstance(exchange.status, int) else 500
        self.metrics.record(
            str(exchange.scope.get("method", "")), status, exchange.duration, exchange.sent
        )


class RequestMetrics(AccessLogMiddleware):
    """ASGI middleware recording each HTTP request."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.recorder = ExchangeMetrics()

    def record(self, exchange: Exchange) -> None:
        self.recorder.record(exchange)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.recorder.started()
        await super().__call__(scope, receive, send)


class WSGIRequestMetrics:
    """WSGI middleware recording each request once its response is sent, the way our WSGI
    access lines are (``wsgi_access_log.py``: a server's file wrapper and a body's length
    are kept)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.recorder = ExchangeMetrics()
        self.recorded = WSGIAccessLog(app, self.recorder)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.recorder.started()
        return self.recorded(environ, start_response)


def with_request_metrics(app: Any, wsgi: bool = False) -> Any:
    """``app`` recording its requests when this server has metrics; else ``app``."""
    if not metrics_wanted():
        return app
    return WSGIRequestMetrics(app) if wsgi else RequestMetrics(app)
