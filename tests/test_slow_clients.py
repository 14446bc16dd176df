"""Slow clients cannot take a server offline: 1,050 connections that drip their request heads
(more than gunicorn's default 1,000 worker connections) while a normal client probes every
half second. Bounded: 15 s of load, on loopback only. Each test records its figures."""

from __future__ import annotations

import resource
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .support.figures import record
from .support.processes import GUNICORN_UVICORN, UVICORN, web_on
from .support.servers import ServerFactory, free_port

pytestmark = [pytest.mark.server, pytest.mark.server_matrix, pytest.mark.reliability]

SLOW_CONNECTIONS = 1050
LOAD_SECONDS = 15.0  # longer than the default head timeout (10 s), far below the 60 s bound
PROBE_TIMEOUT = 1.0


@pytest.fixture
def many_descriptors() -> Iterator[None]:
    """Room for the slow connections on both ends (children inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * SLOW_CONNECTIONS
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"this machine allows {hard} open files per process, {wanted} are needed")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def drip(connections: list[socket.socket]) -> int:
    """One more byte of a never-ending head on each connection; how many are still open."""
    still_open = 0
    for connection in connections:
        try:
            if connection.recv(1) == b"":  # closed by the server
                continue
        except BlockingIOError:
            pass
        except OSError:
            continue
        try:
            connection.send(b"X")
            still_open += 1
        except OSError:
            continue
    return still_open


CASES = {
    "UvicornServer": (UVICORN, {}),
    "GunicornUvicornServer": (GUNICORN_UVICORN, {"workers": 1}),
}


@pytest.mark.parametrize(("backend", "args"), CASES.values(), ids=CASES.keys())
def test_slow_clients_do_not_lock_real_ones_out(
    servers: ServerFactory, many_descriptors: None, backend: str, args: dict[str, Any]
) -> None:
    port = free_port()
    server = servers.start(web_on(backend, port, **{"no-access-log": True, **args}), "web")
    server.wait_ready("/health/")
    connections = []
    try:
        for _ in range(SLOW_CONNECTIONS):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            connection.setblocking(False)
            connections.append(connection)
        latencies: list[float] = []
        failures: list[str] = []
        still_open = SLOW_CONNECTIONS
        deadline = time.monotonic() + LOAD_SECONDS
        with httpx.Client(timeout=PROBE_TIMEOUT, headers={"Connection": "close"}) as client:
            while time.monotonic() < deadline:
                still_open = drip(connections)
                started = time.monotonic()
                try:
                    status = client.get(server.url("/health/")).status_code
                except httpx.HTTPError as error:
                    failures.append(type(error).__name__)
                else:
                    if status != 200:
                        failures.append(f"status {status}")
                latencies.append(time.monotonic() - started)
                time.sleep(max(0.0, 0.5 - (time.monotonic() - started)))  # pace the probes
    finally:
        for connection in connections:
            connection.close()
    record(
        f"{SLOW_CONNECTIONS} slow clients for {LOAD_SECONDS:.0f} s, {backend.rsplit('.', 1)[1]}",
        f"{len(latencies) - len(failures)}/{len(latencies)} probes answered, slowest "
        f"{max(latencies) * 1000:.0f} ms; {SLOW_CONNECTIONS - still_open} slow connections "
        "closed by the head timeout (10 s)",
    )
    assert failures == []
    assert max(latencies) < PROBE_TIMEOUT
    assert still_open < SLOW_CONNECTIONS // 10  # the head timeout closed them
    assert server.stop() == 0
