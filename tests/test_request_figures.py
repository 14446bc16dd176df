"""A worker's request figures (``runtime/metrics.py``, ``RequestFigures``): running totals
handed to prometheus-client as they grow. In a registry of the test's own, in this process;
the figures of real servers are tested in ``test_metrics.py``."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import CollectorRegistry

from django_prodserver.runtime.metrics import Metrics, RequestFigures


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
