"""``runtime/uvicorn_workers.py`` in this process: who answers the supervisor's ping when,
and the recycling limit. The behaviour under a real supervisor is in test_reliability.py."""

from __future__ import annotations

import asyncio
import time
from multiprocessing import Pipe
from typing import Any

import pytest
from uvicorn.config import Config

from django_prodserver.runtime.uvicorn_workers import (
    LoopHeartbeat,
    SupervisedProcess,
    SupervisedServer,
    recycle_limit,
    supervised_workers,
)


def ping(connection: Any, timeout: float = 1.0) -> object | None:
    connection.send(b"ping")
    return connection.recv() if connection.poll(timeout) else None


def test_every_ping_is_answered_while_the_loop_is_not_watched() -> None:
    supervisor, worker = Pipe()
    heartbeat = LoopHeartbeat(worker, lambda: "answer", timeout=1)
    heartbeat.start()
    assert ping(supervisor) == "answer"


def test_a_recently_ticking_loop_is_answered_at_once() -> None:
    supervisor, worker = Pipe()
    heartbeat = LoopHeartbeat(worker, lambda: "answer", timeout=1)
    heartbeat.start()
    heartbeat.watch()
    began = time.monotonic()
    assert ping(supervisor) == "answer"
    assert time.monotonic() - began < 0.2


def test_a_silent_loop_goes_unanswered_and_a_late_tick_is_answered() -> None:
    supervisor, worker = Pipe()
    heartbeat = LoopHeartbeat(worker, lambda: "answer", timeout=1)
    heartbeat.start()
    heartbeat.watch()
    heartbeat.last_tick = time.monotonic() - 5  # blocked for 5 s
    assert ping(supervisor, timeout=1) is None
    supervisor.send(b"ping")
    time.sleep(0.2)
    heartbeat.tick()  # the loop comes back before the timeout
    assert supervisor.poll(1)
    assert supervisor.recv() == "answer"


def test_a_gone_supervisor_is_not_an_error() -> None:
    supervisor, worker = Pipe()
    heartbeat = LoopHeartbeat(worker, lambda: 1, timeout=1)
    heartbeat.start()
    supervisor.close()
    heartbeat.thread.join(1)
    assert not heartbeat.thread.is_alive()


@pytest.mark.parametrize(("limit", "jitter"), [(None, 5), (50, 0), (50, 20)])
def test_recycle_limit_adds_this_workers_jitter(limit: int | None, jitter: int) -> None:
    config = Config("tests.asgi_apps:hello", limit_max_requests=limit)
    config.limit_max_requests_jitter = jitter
    limits = {recycle_limit(config) for _ in range(200)}
    if limit is None:
        assert limits == {None}
    else:
        assert limits <= set(range(limit, limit + jitter + 1))
        assert len(limits) > 1 or jitter == 0


def test_the_server_answers_from_its_loop_once_started() -> None:
    supervisor, worker = Pipe()
    config = Config("tests.asgi_apps:hello", port=0, lifespan="off", log_config=None)
    server = SupervisedServer(config, None, worker)
    answers: list[object] = []

    async def serve_and_ping() -> None:
        serving = asyncio.ensure_future(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        deadline = time.monotonic() + 5
        while not answers and time.monotonic() < deadline:
            supervisor.send(b"ping")
            await asyncio.sleep(0.3)  # the loop's tick answers within 0.1 s
            while supervisor.poll(0):
                answers.append(supervisor.recv())
        server.should_exit = True
        await serving

    asyncio.run(serve_and_ping())
    assert answers
    assert answers[0] in (True, b"pong")


def test_the_supervisor_starts_our_workers_only_while_it_runs() -> None:
    from uvicorn.supervisors import multiprocess

    original = multiprocess.Process
    with supervised_workers():
        assert multiprocess.Process is SupervisedProcess
    assert multiprocess.Process is original
