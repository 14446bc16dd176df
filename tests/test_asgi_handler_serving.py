"""prodserver's ASGI handler in real servers: every ASGI backend with ``"asgi-handler":
"prodserver"`` serves sync and async views, server-sent events while other requests go on,
websockets, a 10 MB upload, sync views side by side in its thread pool, and database
connections that neither leak nor pile up."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from .support.processes import GRANIAN, GUNICORN_UVICORN, UVICORN, web_on
from .support.servers import (
    EXAMPLE_PROJECT,
    ServerFactory,
    ServerProcess,
    children_of,
    free_port,
    process_env,
    prodserver_command,
)

pytestmark = pytest.mark.server

BACKENDS = [UVICORN, GUNICORN_UVICORN, GRANIAN]
OURS = {"asgi-handler": "prodserver"}
VIEWS = {"ROOT_URLCONF": "tests.handler_views"}


def name(backend: str) -> str:
    return backend.rsplit(".", 1)[1]


def started(
    servers: ServerFactory,
    backend: str,
    args: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> ServerProcess:
    port = free_port()
    processes = web_on(backend, port, **OURS, **(args or {}))
    server = servers.start(
        processes,
        "web",
        port=port,
        overrides={**VIEWS, **(overrides or {})},
        env={"DJANGO_DATABASE_PATH": ":memory:", **(env or {})},
    )
    server.wait_ready()
    return server


def side_by_side(count: int, request: Callable[[], httpx.Response]) -> tuple[list[int], float]:
    began = time.monotonic()
    with ThreadPoolExecutor(count) as pool:
        responses = list(pool.map(lambda _: request(), range(count)))
    statuses = [response.status_code for response in responses]
    return statuses, time.monotonic() - began


@pytest.mark.parametrize("backend", BACKENDS, ids=name)
def test_serves_views_events_websockets_and_uploads(servers: ServerFactory, backend: str) -> None:
    server = started(servers, backend, {"sync-threads": 4})
    assert "prodserver's ASGI handler, 4 threads for sync views" in server.output()
    assert server.get("/where/").text.startswith("prodserver-sync")
    assert server.get("/async/").text == "Hello async!"
    assert server.get("/nowhere/").status_code == 404

    # Server-sent events from an async view arrive one by one while other requests are served.
    arrivals: list[float] = []
    with (
        httpx.Client(timeout=10) as client,
        client.stream("GET", server.url("/events/?count=10&interval=0.2")) as events,
    ):
        assert events.headers["content-type"] == "text/event-stream"
        lines = events.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        arrivals.append(time.monotonic())
        statuses, _ = side_by_side(16, lambda: httpx.get(server.url("/where/"), timeout=10))
        assert statuses == [200] * 16
        received = [first]
        for line in lines:
            if line.startswith("data: "):
                received.append(line)
                arrivals.append(time.monotonic())
    assert [line.split()[1] for line in received] == [str(number) for number in range(10)]
    assert arrivals[-1] - arrivals[0] > 1.2  # streamed as produced, not all at the end

    # The project's websocket route, mounted beside Django in its asgi.py, still answers.
    with connect(server.url("/ws/echo/").replace("http", "ws", 1), open_timeout=10) as socket:
        socket.send("ping")
        assert socket.recv(timeout=10) == "ping"

    # 10 MB, past FILE_UPLOAD_MAX_MEMORY_SIZE: spooled to a temporary file.
    size = 10 * 1024 * 1024
    answer = httpx.post(
        server.url("/upload/"),
        files={"data": ("data.bin", b"x" * size)},
        data={"note": "big"},
        timeout=60,
    )
    assert answer.json() == {
        "files": {"data": {"size": size, "kind": "TemporaryUploadedFile"}},
        "fields": {"note": "big"},
    }
    assert server.stop() == 0


@pytest.mark.parametrize("backend", BACKENDS, ids=name)
def test_sync_views_run_side_by_side_and_wait_beyond_the_pool(
    servers: ServerFactory, backend: str
) -> None:
    default_pool = started(servers, backend)

    def sleep_one_second(server: ServerProcess) -> Callable[[], httpx.Response]:
        return lambda: httpx.get(server.url("/sleep/?seconds=1"), timeout=30)

    statuses, elapsed = side_by_side(8, sleep_one_second(default_pool))
    assert statuses == [200] * 8
    assert elapsed < 1.9, f"8 sleeping requests took {elapsed:.2f} s with 10 threads"
    assert default_pool.stop() == 0

    two_threads = started(servers, backend, {"sync-threads": 2})
    statuses, elapsed = side_by_side(4, sleep_one_second(two_threads))
    assert statuses == [200] * 4  # the two beyond the pool waited for a thread
    assert 1.9 < elapsed < 3.5, f"4 sleeping requests on 2 threads took {elapsed:.2f} s"
    assert two_threads.stop() == 0


def open_database_files(server: ServerProcess, database: Path) -> int:
    """File descriptors on ``database`` held by the server and its workers: one per open
    SQLite connection."""
    count = 0
    for pid in {server.pid, *children_of(server.pid)}:
        directory = Path(f"/proc/{pid}/fd")
        try:
            descriptors = list(directory.iterdir())
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(descriptor) == str(database):
                    count += 1
            except OSError:
                continue
    return count


@pytest.mark.parametrize("conn_max_age", [0, 60])
@pytest.mark.parametrize("backend", BACKENDS, ids=name)
def test_no_database_connection_leaks_after_a_thousand_requests(
    servers: ServerFactory, backend: str, conn_max_age: int, tmp_path: Path
) -> None:
    database = tmp_path / "db.sqlite3"
    databases = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(database),
            "CONN_MAX_AGE": conn_max_age,
        }
    }
    threads = 4
    server = started(
        servers, backend, {"sync-threads": threads}, overrides={"DATABASES": databases}
    )
    served = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=10) as session:
            for _ in range(125):
                answer = session.get(server.url("/database/"))
                with lock:
                    served.append(answer.status_code)

    workers = [threading.Thread(target=client) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert served == [200] * 1000
    held = open_database_files(server, database)
    if conn_max_age == 0:
        assert held == 0, f"{held} connections left open with CONN_MAX_AGE 0"
    else:
        assert 1 <= held <= threads, f"{held} connections held by {threads} threads"
    assert server.stop() == 0


def test_the_dry_run_command_runs_the_same_server_by_hand(servers: ServerFactory) -> None:
    port = free_port()
    processes = web_on(UVICORN, port, **OURS)
    environment = process_env(processes, VIEWS, DJANGO_DATABASE_PATH=":memory:")
    environment["DJANGO_SETTINGS_MODULE"] = "tests.process_settings"
    dry_run = subprocess.run(
        [*prodserver_command(EXAMPLE_PROJECT, "web", "--dry-run")],
        env=process_env(processes, VIEWS),
        cwd=EXAMPLE_PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    printed = shlex.split(dry_run.stdout.strip().splitlines()[-1])
    assert printed[0] == "env"
    program = next(index for index, word in enumerate(printed) if index and "=" not in word)
    assignments = dict(word.partition("=")[::2] for word in printed[1:program])
    assert assignments["PRODSERVER_ASGI_APPLICATION"] == "example_project.asgi:application"
    assert assignments["PRODSERVER_SYNC_THREADS"] == "10"
    command = printed[program:]
    assert command[:2] == ["uvicorn", "django_prodserver.asgi.serving:application"]
    environment.update(assignments)
    server = servers.start_command(
        [sys.executable, "-m", *command], port, cwd=EXAMPLE_PROJECT, env=environment
    )
    server.wait_ready()
    assert server.get("/where/").text.startswith("prodserver-sync")
    # uvicorn by hand raises the SIGTERM again once drained (prodserver exits 0).
    assert server.stop() in (0, -signal.SIGTERM)
