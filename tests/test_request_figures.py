"""A worker's request figures (``runtime/metrics.py``): the ASGI and WSGI recorders, and the
running totals handed to prometheus-client as they grow. In a registry of the test's own,
in this process; the figures of real servers are tested in ``test_metrics.py``."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from django_prodserver.runtime.metrics import (
    Metrics,
    RequestFigures,
    RequestMetrics,
    WSGIRequestMetrics,
)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def figures(registry: CollectorRegistry) -> RequestFigures:
    return Metrics(registry).figures


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_each_flush_hands_over_only_what_grew(
    registry: CollectorRegistry, figures: RequestFigures
) -> None:
    figures.started_on_loop()
    figures.started_on_loop()
    figures.record_on_loop("GET", 200, 0.003, 100)
    figures.flush()

    assert sample(registry, "prodserver_http_requests_total", method="GET", status="200") == 1
    assert sample(registry, "prodserver_http_requests_in_flight") == 1
    assert sample(registry, "prodserver_http_response_bytes_total") == 100

    figures.started_on_loop()
    figures.record_on_loop("GET", 200, 0.2, 20)
    figures.record_on_loop("BREW", 418, 20.0, 0)
    figures.flush()
    figures.flush()

    assert sample(registry, "prodserver_http_requests_total", method="GET", status="200") == 2
    assert sample(registry, "prodserver_http_requests_total", method="other", status="418") == 1
    assert sample(registry, "prodserver_http_requests_in_flight") == 0
    assert sample(registry, "prodserver_http_response_bytes_total") == 120
    duration = "prodserver_http_request_duration_seconds"
    assert sample(registry, f"{duration}_count", method="GET") == 2
    assert sample(registry, f"{duration}_sum", method="GET") == pytest.approx(0.203)
    assert sample(registry, f"{duration}_bucket", method="GET", le="0.005") == 1
    assert sample(registry, f"{duration}_bucket", method="GET", le="0.25") == 2
    assert sample(registry, f"{duration}_bucket", method="other", le="10.0") == 0
    assert sample(registry, f"{duration}_bucket", method="other", le="+Inf") == 1


def test_threads_recording_at_once_lose_no_request(
    registry: CollectorRegistry, figures: RequestFigures
) -> None:
    """The WSGI way, on 8 threads, while the flusher hands figures over."""
    stop = threading.Event()

    def flushing() -> None:
        while not stop.is_set():
            figures.flush()

    def answering() -> None:
        for _ in range(2000):
            figures.started()
            figures.record("POST", 201, 0.01, 3)

    flusher = threading.Thread(target=flushing)
    flusher.start()
    threads = [threading.Thread(target=answering) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    flusher.join()
    figures.flush()

    assert sample(registry, "prodserver_http_requests_total", method="POST", status="201") == 16000
    assert sample(registry, "prodserver_http_response_bytes_total") == 48000
    assert sample(registry, "prodserver_http_requests_in_flight") == 0
    assert (
        sample(registry, "prodserver_http_request_duration_seconds_count", method="POST") == 16000
    )


class FileWrapper:
    """A server's own ``wsgi.file_wrapper``, which it sends without iterating."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield self.data

    def close(self) -> None:
        self.closed = True


def wsgi_request(
    application: Any, method: str = "GET", environ: dict[str, Any] | None = None
) -> tuple[list[str], Any]:
    """Calls ``application`` as a WSGI server would: iterates the body, then closes it."""
    statuses: list[str] = []
    written: list[bytes] = []

    def start_response(status: str, headers: Any, *exc_info: Any) -> Any:
        statuses.append(status)
        return written.append

    body = application({"REQUEST_METHOD": method, **(environ or {})}, start_response)
    if not isinstance(body, FileWrapper):
        for _ in body:
            pass
    body.close()
    return statuses, body


def test_a_wsgi_body_is_recorded_when_the_server_closes_it(
    registry: CollectorRegistry, figures: RequestFigures
) -> None:
    def view(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        yield b"not "
        yield b"here"

    wsgi_request(WSGIRequestMetrics(view, figures))
    figures.flush()

    assert sample(registry, "prodserver_http_requests_total", method="GET", status="404") == 1
    assert sample(registry, "prodserver_http_response_bytes_total") == 8
    assert sample(registry, "prodserver_http_requests_in_flight") == 0


def test_a_wsgi_write_and_a_sized_body_are_counted(
    registry: CollectorRegistry, figures: RequestFigures
) -> None:
    def legacy(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [])
        write(b"12345")
        return [b"678"]

    _, body = wsgi_request(WSGIRequestMetrics(legacy, figures), method="POST")
    figures.flush()

    assert len(body) == 1, "a server reads a one-item body's length"
    assert sample(registry, "prodserver_http_requests_total", method="POST", status="200") == 1
    assert sample(registry, "prodserver_http_response_bytes_total") == 8


def test_a_servers_file_wrapper_is_left_to_it_and_counted_by_content_length(
    registry: CollectorRegistry, figures: RequestFigures
) -> None:
    def download(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", "11")])
        return environ["wsgi.file_wrapper"](b"file's body")

    _, body = wsgi_request(
        WSGIRequestMetrics(download, figures), environ={"wsgi.file_wrapper": FileWrapper}
    )
    figures.flush()

    assert isinstance(body, FileWrapper)
    assert body.closed
    assert sample(registry, "prodserver_http_response_bytes_total") == 11
    assert sample(registry, "prodserver_http_requests_total", method="GET", status="200") == 1


def test_a_failing_wsgi_application_counts_as_a_500(
    registry: CollectorRegistry, figures: RequestFigures
) -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("broken view")

    with pytest.raises(RuntimeError):
        wsgi_request(WSGIRequestMetrics(broken, figures))
    figures.flush()

    assert sample(registry, "prodserver_http_requests_total", method="GET", status="500") == 1
    assert sample(registry, "prodserver_http_requests_in_flight") == 0


def test_an_asgi_request_is_recorded_on_the_loop(
    registry: CollectorRegistry, figures: RequestFigures
) -> None:
    async def view(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"made", "more_body": True})
        await send({"type": "http.response.body", "body": b"!"})

    async def send(message: Any) -> None:
        pass

    async def receive() -> Any:
        return {"type": "http.request"}

    recorded = RequestMetrics(view, figures)
    asyncio.run(recorded({"type": "http", "method": "PUT"}, receive, send))
    asyncio.run(recorded({"type": "lifespan"}, receive, send))
    figures.flush()

    assert sample(registry, "prodserver_http_requests_total", method="PUT", status="201") == 1
    assert sample(registry, "prodserver_http_response_bytes_total") == 5
