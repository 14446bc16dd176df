"""UvicornServer's worker processes, as safe as our gunicorn worker's.

uvicorn's supervisor checks each worker by a ping on a pipe, which the worker answers from
a thread of its own. That thread answers while the event loop is blocked (a view that calls
``time.sleep`` in an async view, a C extension holding the GIL for a while, a deadlock), so a
blocked worker is never replaced. And its ``limit-max-requests`` exits at once, closing the
connections it has accepted whose request it has not read yet: their clients get no answer.

Here each worker:

- answers the supervisor's pings **from its event loop** while it serves (a blocked loop
  goes unanswered, and the supervisor kills the worker after ``timeout-worker-healthcheck``
  seconds and starts another), and from a thread only while it starts (importing the
  project can take long) and while it stops (finishing slow requests);
- recycles itself after ``limit-max-requests`` (plus up to ``limit-max-requests-jitter``)
  the way our gunicorn worker does (``draining.RecyclingServer``): it stops accepting, its
  siblings take the new connections, it serves every request it has accepted, then it exits
  and the supervisor starts a fresh one.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from uvicorn.config import Config
from uvicorn.supervisors import multiprocess

from .._compat import exit_after_failed_startup
from .draining import RecyclingServer
from .metrics import note_exit

#: The status a worker exits with when the application cannot start (uvicorn's own).
STARTUP_FAILURE = 3
#: How often a waiting answer looks for a fresh tick of the event loop, in seconds.
POLL_SECONDS = 0.05
#: A loop that ticked this recently (at most a quarter of the supervisor's timeout) serves.
FRESH_SECONDS = 1.0
#: An answer sent later than this before the supervisor's timeout would come too late.
MARGIN_SECONDS = 0.2


class LoopHeartbeat:
    """Answers the supervisor's pings on ``connection`` from a thread, so an answer never
    waits for a busy event loop; but while the loop serves (between ``watch()`` and
    ``unwatch()``), only for a loop that is alive. A ping that finds the loop's last tick
    older than ``FRESH_SECONDS`` waits for its next one, up to just under the supervisor's
    ``timeout``, and goes unanswered if none comes: the supervisor then replaces the worker.
    While the worker starts (a slow import) and stops (slow requests finishing) every ping
    is answered."""

    def __init__(self, connection: Any, answer: Callable[[], object], timeout: float) -> None:
        self.connection = connection
        self.answer = answer
        self.timeout = timeout
        self.fresh = min(FRESH_SECONDS, timeout / 4)
        #: The loop's last tick; None while the loop is not watched.
        self.last_tick: float | None = None
        self.thread = threading.Thread(target=self._answer_pings, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def watch(self) -> None:
        self.last_tick = time.monotonic()

    def tick(self) -> None:
        self.last_tick = time.monotonic()

    def unwatch(self) -> None:
        self.last_tick = None

    def _answer_pings(self) -> None:
        try:
            while True:
                self.connection.recv()
                if self.loop_alive(received=time.monotonic()):
                    self.connection.send(self.answer())
        except (OSError, EOFError):
            pass  # the supervisor has gone: nothing to answer

    def loop_alive(self, received: float) -> bool:
        deadline = received + max(self.timeout - MARGIN_SECONDS, POLL_SECONDS)
        while True:
            last = self.last_tick
            if last is None or received - last < self.fresh or last > received:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)


class SupervisedServer(RecyclingServer):
    """A worker's server: pings answered only while its event loop is alive."""

    def __init__(self, config: Config, max_requests: int | None, heartbeat_connection: Any):
        super().__init__(config, max_requests)
        timeout = float(getattr(config, "timeout_worker_healthcheck", 5) or 5)
        self.heartbeat = LoopHeartbeat(heartbeat_connection, self.ping_answer, timeout)
        self.heartbeat.start()

    def ping_answer(self) -> object:
        """What this uvicorn's supervisor expects: recent ones ask whether the server has
        started (to bring a replacement into service before retiring the old one)."""
        return self.started if hasattr(multiprocess.Process, "is_ready") else b"pong"

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            exit_after_failed_startup(self, STARTUP_FAILURE)
        self.heartbeat.watch()

    async def on_tick(self, counter: int) -> bool:
        self.heartbeat.tick()
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.heartbeat.unwatch()  # finishing slow requests is not being blocked
        await super().shutdown(sockets)


def recycle_limit(config: Config) -> int | None:
    """uvicorn's ``limit_max_requests`` plus this worker's own jitter."""
    limit = config.limit_max_requests
    if limit is None:
        return None
    return limit + random.randint(0, int(getattr(config, "limit_max_requests_jitter", 0) or 0))


class SupervisedProcess(multiprocess.Process):
    """uvicorn's worker process, running :class:`SupervisedServer`. Takes the arguments
    of the installed uvicorn's ``Process`` (``config, sockets``, or ``config, target,
    sockets`` up to 0.3x, whose target it replaces)."""

    def __init__(self, config: Config, *args: Any) -> None:
        self.worker_config = config
        super().__init__(config, *args)

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        """In the worker process (coverage is not measured in uvicorn's spawned workers)."""
        config = self.worker_config
        limit = recycle_limit(config)
        config.limit_max_requests = None  # uvicorn's own limit would exit at once
        server = SupervisedServer(config, limit, self.child_conn)
        self._server = server
        server.run(sockets=sockets)
        note_exit("recycled" if server.draining_since is not None else "stopped")


@contextmanager
def supervised_workers() -> Iterator[None]:
    """While uvicorn's supervisor runs in this process, the workers it starts are ours."""
    original = multiprocess.Process
    multiprocess.Process = SupervisedProcess  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        multiprocess.Process = original  # type: ignore[misc]
