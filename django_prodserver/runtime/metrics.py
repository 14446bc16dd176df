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

import atexit
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from .wsgi_access_log import noting_start_response, recorded_body

BIND_VARIABLE = "PRODSERVER_METRICS_BIND"
SERVER_VARIABLE = "PRODSERVER_METRICS_SERVER"
DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
#: Request methods counted by name; any other is counted as "other" (bounded labels).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
EXIT_REASONS = ("recycled", "crashed", "timed_out")
#: How stale a scrape's request figures may be, in seconds.
FLUSH_SECONDS = 0.5


def metrics_wanted() -> bool:
    """Whether this process belongs to a server with metrics (the directory is set)."""
    return bool(os.environ.get(DIRECTORY_VARIABLE)) and bool(os.environ.get(BIND_VARIABLE))


class Metrics:
    """The metric objects, made once per process (in ``registry``, prometheus-client's
    default one unless given)."""

    def __init__(self, registry: Any = None) -> None:
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram

        into = REGISTRY if registry is None else registry
        self.requests = Counter(
            "prodserver_http_requests",
            "HTTP requests answered",
            ["method", "status"],
            registry=into,
        )
        self.duration = Histogram(
            "prodserver_http_request_duration_seconds",
            "Time from a request's start to the end of its response",
            ["method"],
            registry=into,
        )
        self.in_flight = Gauge(
            "prodserver_http_requests_in_flight",
            "HTTP requests being answered",
            multiprocess_mode="livesum",
            registry=into,
        )
        self.response_bytes = Counter(
            "prodserver_http_response_bytes", "Bytes of response bodies sent", registry=into
        )
        self.worker_starts = Counter(
            "prodserver_worker_starts", "Worker processes started", registry=into
        )
        self.worker_exits = Counter(
            "prodserver_worker_exits", "Worker processes that ended", ["reason"], registry=into
        )
        self.figures = RequestFigures(self)


class RequestFigures:
    """A worker's request figures, kept in this process and added to prometheus-client's
    shared values every ``FLUSH_SECONDS`` by a thread (and when the process exits).

    Each prometheus-client value in multiprocess mode is a locked write to a memory-mapped
    file: six of them a request (two for in-flight, two for the histogram, the count, the
    bytes) cost more than 3 % of a fast Django view. Here a request adds to a few running
    totals; what a scrape shows is at most ``FLUSH_SECONDS`` old, far below any scrape
    interval. prometheus-client has no such batching of its own.

    The totals only ever grow. The flusher copies them (copying a dict or a list is one step
    under the GIL) and hands prometheus-client what grew since its last copy, so a request
    never waits for the flusher. Requests answered on several threads (a WSGI server's) add
    under a lock among themselves (:meth:`started`, :meth:`record`); an event loop, the one
    thread an ASGI worker records on, needs none (:meth:`started_on_loop`,
    :meth:`record_on_loop`). One process records one way, never both.
    """

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        # The histogram's own bucket bounds (+Inf last), and below its values: observe()
        # takes one value at a time, and these are counts of many.
        self.bounds = list(metrics.duration._upper_bounds)
        self._in_a_new_process()
        os.register_at_fork(after_in_child=self._in_a_new_process)

    def _in_a_new_process(self) -> None:
        """A forked worker starts with none of its parent's figures, and its own flusher."""
        self.lock = threading.Lock()
        #: One flush at a time (the flusher's, or the last one at exit).
        self.flush_lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = {}
        #: Per method: a count per bucket, then the sum of the durations.
        self.durations: dict[str, list[float]] = {}
        self.begun = self.ended = self.sent = 0
        self.flushed_requests: dict[tuple[str, int], int] = {}
        self.flushed_durations: dict[str, list[float]] = {}
        self.flushed_sent = 0
        self.flushed_in_flight = 0
        self.flushing = False

    def started(self) -> None:
        with self.lock:
            self.begun += 1
        if not self.flushing:
            self._start_flusher()

    def started_on_loop(self) -> None:
        self.begun += 1
        if not self.flushing:
            self._start_flusher()

    def record(self, method: str, status: int, seconds: float, sent: int) -> None:
        with self.lock:
            self.record_on_loop(method, status, seconds, sent)

    def record_not_counted(self) -> None:
        """A request that :meth:`started` but is left out of the figures."""
        with self.lock:
            self.begun -= 1

    def record_on_loop(self, method: str, status: int, seconds: float, sent: int) -> None:
        method = method if method in METHODS else "other"
        key = (method, status)
        requests = self.requests
        requests[key] = requests.get(key, 0) + 1
        durations = self.durations.get(method)
        if durations is None:
            durations = self.durations[method] = [0.0] * (len(self.bounds) + 1)
        durations[bisect_left(self.bounds, seconds)] += 1
        durations[-1] += seconds
        self.sent += sent
        self.ended += 1

    def _start_flusher(self) -> None:
        """Once per process (a forked worker starts its own)."""
        self.flushing = True
        threading.Thread(target=self._flush_forever, name="prodserver-metrics", daemon=True).start()
        atexit.register(self.flush)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def flush(self) -> None:
        """Hand prometheus-client what grew since the last flush."""
        with self.flush_lock:
            # Ended before begun: a request that begins and ends between the two reads
            # shows as in flight until the next flush, never as a negative count.
            ended = self.ended
            in_flight = self.begun - ended
            sent = self.sent
            requests = dict(self.requests)
            durations = {method: list(counts) for method, counts in dict(self.durations).items()}
            metrics = self.metrics
            # The in-flight figure first: a scrape that sees these requests counted sees
            # them no longer in flight.
            if in_flight != self.flushed_in_flight:
                metrics.in_flight.set(in_flight)
                self.flushed_in_flight = in_flight
            if sent != self.flushed_sent:
                metrics.response_bytes.inc(sent - self.flushed_sent)
                self.flushed_sent = sent
            for key, count in requests.items():
                grown = count - self.flushed_requests.get(key, 0)
                if grown:
                    method, status = key
                    metrics.requests.labels(method, str(status)).inc(grown)
            self.flushed_requests = requests
            for method, counts in durations.items():
                flushed = self.flushed_durations.get(method) or [0.0] * len(counts)
                child = metrics.duration.labels(method)
                for index, observed in enumerate(counts[:-1]):
                    if observed != flushed[index]:
                        child._buckets[index].inc(observed - flushed[index])
                if counts[-1] != flushed[-1]:
                    child._sum.inc(counts[-1] - flushed[-1])
            self.flushed_durations = durations


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


class RequestMetrics:
    """ASGI middleware recording each HTTP request: its status, the body bytes it sent,
    and the time to the end of its response. Leaner than our access-log middleware, whose
    exchange it does not need: this runs on the event loop for every request."""

    def __init__(self, app: Any, figures: RequestFigures | None = None) -> None:
        self.app = app
        self.figures = metrics().figures if figures is None else figures

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        figures = self.figures
        figures.started_on_loop()
        started = time.perf_counter()
        status = 500
        sent = 0

        async def counting_send(message: Any) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            elif message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            figures.record_on_loop(scope["method"], status, time.perf_counter() - started, sent)


class WSGIRequestMetrics:
    """WSGI middleware recording each request when the server closes its body, that is
    once the response is sent, or failed. A body the server sends itself (its
    ``wsgi.file_wrapper``) is left as it is, counted by its Content-Length; a one-item body
    keeps its length (waitress reads it as the Content-Length).

    It does what ``WSGIAccessLog`` does for a line, with the same pieces, in fewer steps:
    it runs for every request of a server with metrics, and the exchange a line reads is
    not needed here.
    """

    def __init__(
        self, app: Callable[..., Iterable[bytes]], figures: RequestFigures | None = None
    ) -> None:
        self.app = app
        self.figures = metrics().figures if figures is None else figures

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.figures.started()
        response = MeteredResponse(self.figures, environ.get("REQUEST_METHOD", ""))
        try:
            body = self.app(environ, noting_start_response(start_response, response))
        except BaseException:
            response.record()
            raise
        return recorded_body(environ, body, response, response.record)


class MeteredResponse:
    """A WSGI response as it is sent (``wsgi_access_log.SentResponse``), for the figures."""

    __slots__ = ("figures", "method", "response_headers", "sent", "started", "status")

    def __init__(self, figures: RequestFigures, method: str) -> None:
        self.figures = figures
        self.method = method
        self.started = time.perf_counter()
        self.status: int | str = 500
        self.response_headers: Iterable[tuple[Any, Any]] = ()
        self.sent = 0

    def record(self) -> None:
        status = self.status if isinstance(self.status, int) else 500
        self.figures.record(self.method, status, time.perf_counter() - self.started, self.sent)


def with_request_metrics(app: Any, wsgi: bool = False) -> Any:
    """``app`` recording its requests when this server has metrics; else ``app``."""
    if not metrics_wanted():
        return app
    return WSGIRequestMetrics(app) if wsgi else RequestMetrics(app)
