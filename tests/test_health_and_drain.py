"""Health paths answered by the server itself and the drain delay after SIGTERM, on real
servers under every HTTP backend (``runtime/health.py``, ``runtime/drain.py``)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import httpx
import pytest

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
    established_connections,
    free_port,
    wait_for,
)

pytestmark = pytest.mark.server

VIEWS = {"ROOT_URLCONF": "tests.handler_views"}
HEALTH = {"liveness-path": "/livez", "readiness-path": "/readyz"}
#: A format no server writes by itself, so that each of our lines is easy to find.
MARKED = {"access-log-format": 'ACCESS "%(r)s" %(s)s'}
DRAIN_SECONDS = 2.0

#: Each HTTP backend with several worker processes (waitress has one), and access lines on.
BACKENDS: dict[str, tuple[str, dict[str, Any]]] = {
    "UvicornServer": (UVICORN, {"workers": 2, **MARKED}),
    "UvicornServer-1": (UVICORN, {**MARKED}),
    "UvicornWSGIServer": (UVICORN_WSGI, {"workers": 2, **MARKED}),
    "GunicornUvicornServer": (
        GUNICORN_UVICORN,
        {"workers": 2, "access-logformat": MARKED["access-log-format"]},
    ),
    "GunicornServer": (
        GUNICORN,
        {"workers": 2, "worker-class": "gthread", "access-logformat": MARKED["access-log-format"]},
    ),
    "GranianASGIServer": (GRANIAN, {"workers": 2, **MARKED}),
    "GranianWSGIServer": (GRANIAN_WSGI, {"workers": 2, **MARKED}),
    "WaitressServer": (WAITRESS, {**MARKED}),
}


def access_lines(server: ServerProcess) -> list[str]:
    return [line for line in server.output().splitlines() if "ACCESS " in line]


def start(servers: ServerFactory, backend: str, args: dict[str, Any], **more: Any) -> ServerProcess:
    needs_program(backend)
    server = servers.start(
        web_on(backend, free_port(), **{**args, **HEALTH, **more}), "web", overrides=VIEWS
    )
    server.wait_ready("/livez")
    return server


@pytest.mark.parametrize(("backend", "args"), BACKENDS.values(), ids=BACKENDS.keys())
def test_health_paths_are_answered_without_django_and_left_out_of_access_lines(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    server = start(servers, backend, args)
    # A Host Django refuses (a probe's pod IP): the health paths never reach ALLOWED_HOSTS.
    foreign = {"Host": "10.1.2.3:8080"}
    assert server.get("/", headers=foreign).status_code == 400
    live = server.get("/livez", headers=foreign)
    ready = server.get("/readyz", headers=foreign)
    assert (live.status_code, live.text) == (200, "alive\n")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    assert ready.headers["cache-control"] == "no-store"
    head = httpx.head(server.url("/readyz"), timeout=5)
    assert (head.status_code, head.content) == (200, b"")
    posted = httpx.post(server.url("/readyz"), timeout=5)
    assert (posted.status_code, posted.headers["allow"]) == (405, "GET, HEAD")
    # Only the exact paths: below them is Django's.
    assert server.get("/readyz/more").status_code == 404
    assert server.get("/").text == "Hello World!"
    wait_for(lambda: any('"GET / HTTP' in line for line in access_lines(server)), 10, "/ logged")
    assert server.stop() == 0
    logged = access_lines(server)
    assert not [line for line in logged if "/livez" in line or "/readyz " in line], logged


@pytest.mark.parametrize(
    "backend", [UVICORN, GUNICORN, GRANIAN_WSGI], ids=lambda b: b.rsplit(".")[-1]
)
def test_health_access_log_writes_their_lines_too(servers: ServerFactory, backend: str) -> None:
    args = dict(BACKENDS[backend.rsplit(".")[-1]][1])
    server = start(servers, backend, args, **{"health-access-log": True})
    assert server.get("/readyz").status_code == 200
    wait_for(lambda: any("/readyz" in line for line in access_lines(server)), 10, "/readyz logged")
    assert server.stop() == 0


def test_uvicorns_own_access_lines_leave_the_health_paths_out(servers: ServerFactory) -> None:
    """Without a format of ours, uvicorn writes its own lines: a filter drops the probes'."""
    server = start(servers, UVICORN, {"workers": 2})
    assert server.get("/readyz").status_code == 200
    assert server.get("/").status_code == 200
    wait_for(lambda: '"GET / HTTP/1.1" 200' in server.output(), 10, "uvicorn's line for /")
    assert server.stop() == 0
    assert "/readyz" not in server.output()


def poll_until_draining(server: ServerProcess) -> float:
    """Poll the readiness path until it answers 503; returns when it did."""

    def draining() -> bool:
        return server.get("/readyz").status_code == 503

    wait_for(draining, 10, "readiness to answer 503")
    return time.monotonic()


@pytest.mark.parametrize(("backend", "args"), BACKENDS.values(), ids=BACKENDS.keys())
def test_sigterm_with_a_drain_delay_keeps_serving_with_readiness_503(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    server = start(servers, backend, args, **{"drain-delay": DRAIN_SECONDS})
    assert server.get("/readyz").status_code == 200
    terminated = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    poll_until_draining(server)
    # Serving normally meanwhile, on new connections (a fresh client each time) and on
    # every worker, while readiness says 503.
    served = 0
    while time.monotonic() - terminated < DRAIN_SECONDS - 0.5:
        with httpx.Client(timeout=5) as client:
            assert client.get(server.url("/")).text == "Hello World!"
            assert client.get(server.url("/livez")).status_code == 200
        served += 1
    assert served > 0
    assert server.process.wait(30) == 0
    assert time.monotonic() - terminated >= DRAIN_SECONDS
    assert "Draining: still serving for 2s" in server.output()


def test_sigint_stops_at_once_despite_a_drain_delay(servers: ServerFactory) -> None:
    """Ctrl-C is a developer's stop: no delay."""
    server = start(servers, UVICORN, {}, **{"drain-delay": 30})
    began = time.monotonic()
    assert server.stop(signal.SIGINT) == 0
    assert time.monotonic() - began < 10
    assert "Draining" not in server.output()


def test_a_second_sigterm_ends_the_delay(servers: ServerFactory) -> None:
    server = start(servers, GUNICORN_UVICORN, {"workers": 2}, **{"drain-delay": 60})
    server.process.send_signal(signal.SIGTERM)
    poll_until_draining(server)
    began = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0
    assert time.monotonic() - began < 15


def test_the_stop_after_the_delay_gets_what_is_left_of_the_graceful_timeout(
    servers: ServerFactory,
) -> None:
    """graceful-timeout 4 s with a 2 s delay: a 20 s request is cut off 2 s into the stop,
    so the process ends within 4 s of SIGTERM (plus up to a second of gunicorn's loop)."""
    port = free_port()
    needs_program(GUNICORN_UVICORN)
    args = {"workers": 1, "graceful-timeout": 4, **HEALTH, "drain-delay": 2}
    server = servers.start(web_on(GUNICORN_UVICORN, port, **args), "web", overrides=VIEWS)
    server.wait_ready("/livez")
    outcome: list[BaseException | httpx.Response] = []
    slow = threading.Thread(target=get_into, args=(server.url("/sleep/?seconds=20"), outcome))
    slow.start()
    wait_for(lambda: established_connections(port) >= 1, 10, "the slow request's connection")
    terminated = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0
    took = time.monotonic() - terminated
    slow.join(30)
    assert 2 <= took < 6, took
    assert isinstance(outcome[0], httpx.HTTPError), outcome


def get_into(url: str, outcome: list[BaseException | httpx.Response]) -> None:
    try:
        outcome.append(httpx.get(url, timeout=30))
    except httpx.HTTPError as error:
        outcome.append(error)
