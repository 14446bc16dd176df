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
#: How often the start-up and shut-down thread looks for a ping, in seconds.
THREAD_POLL_SECONDS = 0.05


class LoopHeartbeat:
    """Answers the supervisor's pings on ``connection``: from a thread between
    ``start_thread()`` and ``stop_thread()``, otherwise when the event loop calls
    ``answer_pending()``."""

    def __init__(self, connection: Any, answer: Callable[[], object]) -> None:
        self.connection = connection
        self.answer = answer
        self.thread: threading.Thread | None = None
        self.thread_stop = threading.Event()

    def start_thread(self) -> None:
        self.thread_stop.clear()
        self.thread = threading.Thread(target=self._answer_until_stopped, daemon=True)
        self.thread.start()

    def stop_thread(self) -> None:
        self.thread_stop.set()

    def answer_pending(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return  # the thread still answers (for at most THREAD_POLL_SECONDS more)
        try:
            while self.connection.poll(0):
                self._answer_one()
        except (OSError, EOFError):
            pass  # the supervisor has gone: nothing to answer

    def _answer_until_stopped(self) -> None:
        try:
            while not self.thread_stop.is_set():
                if self.connection.poll(THREAD_POLL_SECONDS):
                    self._answer_one()
        except (OSError, EOFError):
            pass

    def _answer_one(self) -> None:
        self.connection.recv()
        self.connection.send(self.answer())


class SupervisedServer(RecyclingServer):
    """A worker's server: pings answered by its event loop while it serves."""

    def __init__(self, config: Config, max_requests: int | None, heartbeat_connection: Any):
        super().__init__(config, max_requests)
        self.heartbeat = LoopHeartbeat(heartbeat_connection, self.ping_answer)
        self.heartbeat.start_thread()

    def ping_answer(self) -> object:
        """What this uvicorn's supervisor expects: recent ones ask whether the server has
        started (to bring a replacement into service before retiring the old one)."""
        return self.started if hasattr(multiprocess.Process, "is_ready") else b"pong"

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.heartbeat.stop_thread()
        if not self.started:
            exit_after_failed_startup(self, STARTUP_FAILURE)

    async def on_tick(self, counter: int) -> bool:
        self.heartbeat.answer_pending()
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.heartbeat.start_thread()  # finishing slow requests is not being blocked
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
