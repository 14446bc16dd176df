"""Prometheus metrics (``metrics-bind``) scraped from real servers: the figures of every
worker add up, on TCP and on a UNIX socket, and worker exits carry their reason."""

from __future__ import annotations

import os
import re
import signal
import socket
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

import django
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .support.processes import (
    GRANIAN,
    GRANIAN_WSGI,
    GUNICORN,
    GUNICORN_UVICORN,
    UVICORN,
    UVICORN_WSGI,
    WAITRESS,
    needs_program,
    web_on,
)
from .support.servers import (
    ServerFactory,
    ServerProcess,
    children_of,
    free_port,
    run_prodserver,
    wait_for,
)

pytestmark = [pytest.mark.server, pytest.mark.server_matrix]

VIEWS = {"ROOT_URLCONF": "tests.handler_views"}

#: Each HTTP backend, with several workers where it has them.
BACKENDS: dict[str, tuple[str, dict[str, Any], int]] = {
    "UvicornServer-1": (UVICORN, {}, 1),
    "UvicornServer-2": (UVICORN, {"workers": 2}, 2),
    "UvicornWSGIServer-2": (UVICORN_WSGI, {"workers": 2}, 2),
    "GunicornUvicornServer-2": (GUNICORN_UVICORN, {"workers": 2}, 2),
    "GunicornServer-2": (GUNICORN, {"workers": 2, "worker-class": "gthread"}, 2),
    "GunicornServer-sync-2": (GUNICORN, {"workers": 2, "worker-class": "sync"}, 2),
    "GranianASGIServer-2": (GRANIAN, {"workers": 2}, 2),
    "GranianWSGIServer-2": (GRANIAN_WSGI, {"workers": 2}, 2),
    "WaitressServer": (WAITRESS, {}, 1),
}


def scrape(url: str, **client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the endpoint: (name, sorted labels) -> value."""
    with httpx.Client(timeout=5, **client) as session:
        response = session.get(url)
    assert response.status_code == 200, response.text
    text = response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def start(
    servers: ServerFactory, backend: str, args: dict[str, Any], metrics_bind: str
) -> ServerProcess:
    needs_program(backend)
    process = web_on(
        backend, free_port(), **{**args, "metrics-bind": metrics_bind, "readiness-path": "/readyz"}
    )
    server = servers.start(process, "web", overrides=VIEWS)
    server.wait_ready("/readyz")
    return server


@pytest.mark.parametrize(("backend", "args", "workers"), BACKENDS.values(), ids=BACKENDS.keys())
def test_the_figures_of_every_worker_add_up(
    servers: ServerFactory, backend: str, args: dict[str, Any], workers: int
) -> None:
    metrics_port = free_port()
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    server = start(servers, backend, args, f"127.0.0.1:{metrics_port}")
    for _ in range(20):  # a new connection each: every worker gets some
        assert server.get("/").status_code == 200
    for _ in range(3):
        assert server.get("/missing/").status_code == 404
    assert server.get("/fails/").status_code == 500
    assert server.get("/readyz").status_code == 200  # health requests are not counted
    # The server's own port does not serve them.
    assert server.get("/metrics").status_code == 404

    def counted() -> bool:
        samples = scrape(metrics_url)
        durations = value(samples, "prodserver_http_request_duration_seconds_count", method="GET")
        return durations >= 25 and value(samples, "prodserver_http_requests_in_flight") == 0

    wait_for(counted, 10, "every request counted")
    samples = scrape(metrics_url)
    requests = "prodserver_http_requests_total"
    assert value(samples, requests, method="GET", status="200") == 20
    assert value(samples, requests, method="GET", status="404") == 4  # /missing/ and /metrics
    assert value(samples, requests, method="GET", status="500") == 1
    assert value(samples, "prodserver_http_request_duration_seconds_count", method="GET") == 25
    assert value(samples, "prodserver_http_response_bytes_total") >= 20 * len("Hello World!")
    assert value(samples, "prodserver_http_requests_in_flight") == 0
    assert value(samples, "prodserver_worker_starts_total") == workers
    [build] = [labels for (name, labels) in samples if name == "prodserver_build_info"]
    info = dict(build)
    assert info["django"] == django.__version__
    assert info["server"] == backend.split(".")[2]
    assert info["server_version"] not in ("", "unknown")
    assert server.stop() == 0


def test_on_a_unix_socket_and_gone_with_the_server(servers: ServerFactory, tmp_path: Path) -> None:
    path = tmp_path / "metrics.sock"
    server = start(servers, UVICORN, {"workers": 2}, f"unix:{path}")
    transport = httpx.HTTPTransport(uds=str(path))
    assert server.get("/").status_code == 200
    wait_for(
        lambda: (
            value(
                scrape("http://metrics/metrics", transport=transport),
                "prodserver_http_requests_total",
                method="GET",
                status="200",
            )
            == 1
        ),
        10,
        "the request counted",
    )
    [directory] = re.findall(r"Metrics on unix:\S+ \(figures in (\S+)\)", server.output())
    assert Path(directory).is_dir()
    assert server.stop() == 0
    assert not path.exists(), "the socket file this server made is removed"
    assert not Path(directory).exists(), "so is its directory"


def exits(url: str, reason: str) -> float:
    return value(scrape(url), "prodserver_worker_exits_total", reason=reason)


@pytest.mark.parametrize(
    ("backend", "args"),
    [
        (UVICORN, {"limit-max-requests": 10}),
        (GUNICORN_UVICORN, {"max-requests": 10}),
        (GUNICORN, {"max-requests": 10, "worker-class": "gthread"}),
    ],
    ids=["UvicornServer", "GunicornUvicornServer", "GunicornServer"],
)
def test_recycled_and_crashed_workers_are_counted(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    metrics_port = free_port()
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    server = start(servers, backend, {"workers": 2, **args}, f"127.0.0.1:{metrics_port}")
    served = 0

    def recycled() -> bool:
        nonlocal served
        with suppress(httpx.HTTPError):
            server.get("/", timeout=2)
            served += 1
        return exits(url, "recycled") >= 1

    wait_for(recycled, 30, "a worker recycled")
    assert served <= 40
    before = children_of(server.pid)
    victim = max(before)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: exits(url, "crashed") == 1, 15, "the killed worker counted as crashed")
    assert exits(url, "timed_out") == 0
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("backend", "args"),
    [
        (UVICORN, {"timeout-worker-healthcheck": 2, "lifespan": "off"}),
        (GUNICORN_UVICORN, {"timeout": 2, "graceful-timeout": 1}),
    ],
    ids=["UvicornServer", "GunicornUvicornServer"],
)
def test_a_blocked_worker_is_counted_as_timed_out(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    needs_program(backend)
    metrics_port = free_port()
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    process = web_on(
        backend,
        free_port(),
        **{"workers": 2, **args, "metrics-bind": f"127.0.0.1:{metrics_port}"},
    )
    server = servers.start(
        process, "web", overrides={"ASGI_APPLICATION": "tests.asgi_apps.application"}
    )
    server.wait_ready("/")
    threading.Thread(target=_get_ignoring_errors, args=(server.url("/block?seconds=60"),)).start()
    wait_for(lambda: exits(url, "timed_out") == 1, 15, "the blocked worker counted as timed out")
    assert exits(url, "crashed") == 0
    assert server.stop() == 0


def _get_ignoring_errors(url: str) -> None:
    with suppress(httpx.HTTPError):
        httpx.get(url, timeout=65)


def test_a_metrics_port_in_use_is_one_line_before_start(tmp_path: Path) -> None:
    needs_program(UVICORN)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = run_prodserver(
            web_on(UVICORN, free_port(), **{"metrics-bind": f"127.0.0.1:{port}"}), "web"
        )
    assert ran.returncode == 2
    [line] = ran.stderr.splitlines()
    assert line.startswith("CommandError: PRODUCTION_PROCESSES['web']['ARGS']['metrics-bind']")
    assert ran.stdout == ""
