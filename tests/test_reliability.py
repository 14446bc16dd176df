"""Reliability under load, on real servers running the example project: reloads, stops,
killed and hung workers, recycling, and a failing start-up. Every test records its figure,
printed at the end of the run (and copied into docs/performance.md).

    python -m pytest -m reliability
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import suppress
from functools import partial
from typing import Any

import httpx
import pytest

from .support.figures import record
from .support.load import BoundedLoad
from .support.processes import GUNICORN, GUNICORN_UVICORN, UVICORN, UVICORN_WSGI, web_on
from .support.servers import (
    ServerFactory,
    ServerProcess,
    children_of,
    established_connections,
    free_port,
    wait_for,
)

pytestmark = [pytest.mark.server, pytest.mark.server_matrix, pytest.mark.reliability]


#: No access log (gunicorn's WSGI workers log none by default), gthread for plain gunicorn.
QUIET: dict[str, dict[str, Any]] = {
    UVICORN: {"no-access-log": True},
    UVICORN_WSGI: {"no-access-log": True},
    GUNICORN_UVICORN: {"no-access-log": True},
    GUNICORN: {"worker-class": "gthread", "threads": 8},
}


def process(backend: str, args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    port = free_port()
    return web_on(backend, port, **{**QUIET[backend], **args}), port


def started(servers: ServerFactory, backend: str, args: dict[str, Any]) -> ServerProcess:
    processes, port = process(backend, args)
    server = servers.start(processes, "web", port=port, env={"DJANGO_DATABASE_PATH": ":memory:"})
    server.wait_ready()
    return server


def workers_of(server: ServerProcess) -> set[int]:
    return children_of(server.pid)


def all_replaced(server: ServerProcess, before: set[int], count: int) -> bool:
    now = workers_of(server)
    return len(now) == count and not now & before


@pytest.mark.parametrize("backend", [GUNICORN_UVICORN, GUNICORN])
def test_hup_five_times_under_load(servers: ServerFactory, backend: str) -> None:
    server = started(servers, backend, {"workers": 2, "graceful-timeout": 10})
    with BoundedLoad(server.url("/request-info/"), keep_alive=False) as load:
        load.wait_for_more(100)
        for _ in range(5):
            before = workers_of(server)
            os.kill(server.pid, signal.SIGHUP)
            wait_for(partial(all_replaced, server, before, 2), 20, "every worker replaced")
            load.wait_for_more(100)
    record(
        f"HUP x5 under load, {backend.rsplit('.', 1)[1]} (2 workers)",
        f"{load.succeeded} requests, {len(load.failures)} failed",
    )
    assert load.failures == []
    assert server.stop() == 0


TERM_CASES = {
    "UvicornServer": (UVICORN, {"timeout-graceful-shutdown": 15}),
    "UvicornServer 2 workers": (UVICORN, {"workers": 2, "timeout-graceful-shutdown": 15}),
    "UvicornWSGIServer": (UVICORN_WSGI, {"timeout-graceful-shutdown": 15}),
    "GunicornUvicornServer": (GUNICORN_UVICORN, {"workers": 2, "graceful-timeout": 15}),
    "GunicornServer": (GUNICORN, {"workers": 2, "threads": 12, "graceful-timeout": 15}),
}


@pytest.mark.parametrize(("backend", "args"), TERM_CASES.values(), ids=TERM_CASES.keys())
def test_term_with_twenty_two_second_requests_in_flight(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    server = started(servers, backend, args)
    results: list[int | str] = []

    def request() -> None:
        try:
            response = httpx.get(server.url("/slow/?seconds=2"), timeout=30)
            results.append(response.status_code)
        except httpx.HTTPError as error:
            results.append(type(error).__name__)

    clients = [threading.Thread(target=request) for _ in range(20)]
    for client in clients:
        client.start()
    port = int(server.base_url.rsplit(":", 1)[1])
    wait_for(lambda: established_connections(port) >= 20, 10, "20 requests in flight")
    stopping = time.monotonic()
    returncode = server.stop(signal.SIGTERM, timeout=30)
    stopped_after = time.monotonic() - stopping
    for client in clients:
        client.join(30)
    completed = results.count(200)
    record(
        f"TERM with 20 in-flight 2 s requests, {_case_name(backend, args)}",
        f"{completed}/20 completed, exit {returncode}, stopped after {stopped_after:.1f} s",
    )
    assert results == [200] * 20
    assert returncode == 0


KILL_CASES = {
    "GunicornUvicornServer": (GUNICORN_UVICORN, {"workers": 4}),
    "UvicornServer 2 workers": (UVICORN, {"workers": 2}),
    "UvicornServer 4 workers": (UVICORN, {"workers": 4}),
}


@pytest.mark.parametrize(("backend", "args"), KILL_CASES.values(), ids=KILL_CASES.keys())
def test_kill_9_of_one_worker_under_load(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    server = started(servers, backend, args)
    with BoundedLoad(server.url("/request-info/"), threads=8) as load:
        load.wait_for_more(200)
        before = workers_of(server)
        victim = next(iter(set(load.last_worker.values()) & before))
        exposed = sum(1 for pid in load.last_worker.values() if pid == victim)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(
            lambda: bool(workers_of(server) - before) and victim not in workers_of(server),
            10,
            "a replacement worker",
        )
        replaced_after = time.monotonic() - killed_at
        load.wait_for_more(200)
    record(
        f"kill -9 of one of {args['workers']} workers under load, {backend.rsplit('.', 1)[1]}",
        f"replaced after {replaced_after:.2f} s; {len(load.failures)} failed of "
        f"{load.succeeded + len(load.failures)} (its clients: {exposed})",
    )
    assert replaced_after <= 2
    assert len(load.failures) <= exposed, load.failures
    assert server.stop() == 0


def test_blocked_event_loop_gets_the_worker_replaced(servers: ServerFactory) -> None:
    timeout = 2
    processes, port = process(GUNICORN_UVICORN, {"timeout": timeout, "graceful-timeout": 1})
    server = servers.start(
        processes, "web", port=port, overrides={"ASGI_APPLICATION": "tests.asgi_apps.application"}
    )
    server.wait_ready("/")
    first_worker = server.get("/scope").json()["pid"]
    threading.Thread(
        target=_request_ignoring_errors, args=(server, "/block?seconds=60"), daemon=True
    ).start()
    blocked_at = time.monotonic()

    def replaced() -> bool:
        try:
            return bool(server.get("/scope", timeout=0.5).json()["pid"] != first_worker)
        except httpx.HTTPError:
            return False

    wait_for(replaced, timeout + 5, "a new worker to replace the blocked one")
    replaced_after = time.monotonic() - blocked_at
    record(
        "event loop blocked, GunicornUvicornServer (timeout 2 s)",
        f"replaced after {replaced_after:.2f} s",
    )
    assert replaced_after <= timeout + 2
    assert "WORKER TIMEOUT" in server.output()
    assert server.stop() == 0


@pytest.mark.parametrize("workers", [2, 4])
def test_blocked_event_loop_gets_the_worker_replaced_under_uvicorns_supervisor(
    servers: ServerFactory, workers: int
) -> None:
    """UvicornServer's workers answer the supervisor's health check from their event loop:
    a blocked loop goes unanswered and the worker is replaced, as under gunicorn."""
    timeout = 2
    processes, port = process(
        UVICORN,
        {"workers": workers, "timeout-worker-healthcheck": timeout, "lifespan": "off"},
    )
    server = servers.start(
        processes, "web", port=port, overrides={"ASGI_APPLICATION": "tests.asgi_apps.application"}
    )
    server.wait_ready("/")
    # Every worker answers (the children also count multiprocessing's resource tracker).
    answered: set[int] = set()
    wait_for(lambda: _answer_from(server, answered) == workers, 30, "every worker to answer")
    before = workers_of(server)
    threading.Thread(
        target=_request_ignoring_errors, args=(server, "/block?seconds=60"), daemon=True
    ).start()
    blocked_at = time.monotonic()
    wait_for(
        lambda: bool(workers_of(server) - before) and bool(before - workers_of(server)),
        timeout + 10,
        "a new worker in place of the blocked one",
    )
    (replacement,) = workers_of(server) - before
    (blocked,) = before - workers_of(server)
    assert blocked in answered
    wait_for(lambda: _serves(server, replacement), 10, "the replacement to serve")
    replaced_after = time.monotonic() - blocked_at
    record(
        f"event loop blocked, UvicornServer ({workers} workers, health check {timeout} s)",
        f"replaced after {replaced_after:.2f} s",
    )
    assert replaced_after <= timeout + 2
    assert server.stop() == 0


def _answer_from(server: ServerProcess, answered: set[int]) -> int:
    """Adds the pid that answers a request on a new connection; how many have answered."""
    with suppress(httpx.HTTPError):
        answered.add(server.get("/scope", timeout=1).json()["pid"])
    return len(answered)


def _serves(server: ServerProcess, pid: int) -> bool:
    """Whether ``pid`` answers a request (each on a new connection, so any worker may)."""
    try:
        return bool(server.get("/scope", timeout=1).json()["pid"] == pid)
    except httpx.HTTPError:
        return False


def _request_ignoring_errors(server: ServerProcess, path: str) -> None:
    with suppress(httpx.HTTPError):
        server.get(path, timeout=65)


RECYCLE_CASES = {
    "GunicornUvicornServer": (GUNICORN_UVICORN, 2, {"max-requests": 50, "max-requests-jitter": 20}),
    "GunicornServer": (GUNICORN, 2, {"max-requests": 50, "max-requests-jitter": 20}),
    "UvicornServer 2 workers": (
        UVICORN,
        2,
        {"limit-max-requests": 50, "limit-max-requests-jitter": 20},
    ),
    "UvicornServer 4 workers": (
        UVICORN,
        4,
        {"limit-max-requests": 50, "limit-max-requests-jitter": 20},
    ),
}


@pytest.mark.parametrize(
    ("backend", "count", "args"), RECYCLE_CASES.values(), ids=RECYCLE_CASES.keys()
)
def test_max_requests_with_jitter_recycles_without_failed_requests(
    servers: ServerFactory, backend: str, count: int, args: dict[str, Any]
) -> None:
    server = started(servers, backend, {"workers": count, **args})
    with BoundedLoad(server.url("/request-info/"), threads=6, keep_alive=False) as load:
        wait_for(lambda: load.succeeded >= 1500, 60, "1500 requests")
    workers = len(load.seen_workers)
    record(
        f"max-requests 50 + jitter 20 under load, {backend.rsplit('.', 1)[1]} ({count} workers)",
        f"{load.succeeded} requests served by {workers} successive workers, "
        f"{len(load.failures)} failed",
    )
    assert load.failures == []
    assert workers >= 10, "at most 70 requests per worker: workers must have recycled"
    assert server.stop() == 0


LIFESPAN_CASES = {
    "UvicornServer": (UVICORN, {"lifespan": "on"}),
    "UvicornServer 2 workers": (UVICORN, {"lifespan": "on", "workers": 2}),
    "GunicornUvicornServer": (GUNICORN_UVICORN, {"lifespan": "on", "workers": 2}),
}


@pytest.mark.parametrize(("backend", "args"), LIFESPAN_CASES.values(), ids=LIFESPAN_CASES.keys())
def test_lifespan_startup_failure_exits_without_a_restart_loop(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    processes, port = process(backend, args)
    server = servers.start(
        processes,
        "web",
        port=port,
        overrides={"ASGI_APPLICATION": "tests.asgi_apps.failing_startup"},
    )
    launched = time.monotonic()
    returncode = server.process.wait(30)
    exited_after = time.monotonic() - launched
    output = server.output()
    starts = output.count("Waiting for application startup.")
    record(
        f"lifespan start-up failure, {_case_name(backend, args)}",
        f"exit {returncode} after {exited_after:.1f} s, {starts} start-up attempt(s)",
    )
    # gunicorn's status for a worker that failed to boot, also used by uvicorn's workers;
    # one reason, not a second HaltServer's traceback (``gunicorn_master.halt_once``).
    assert returncode == 3, output
    assert "Traceback" not in output, output
    # uvicorn's supervisor may spend its 5 s health-check timeout on a worker that is still
    # exiting; a restart loop would instead run to the 30 s wait and start more workers.
    assert exited_after < 10
    assert starts <= int(args.get("workers", 1)), output


def _case_name(backend: str, args: dict[str, Any]) -> str:
    workers = args.get("workers")
    return backend.rsplit(".", 1)[1] + (f" ({workers} workers)" if workers else "")
