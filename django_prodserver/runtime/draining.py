"""uvicorn servers whose graceful stops lose no request they have accepted: on a signal
(DrainingServer) and when recycled after a number of requests (RecyclingServer).

uvicorn's own shutdown stops accepting and then closes every connection that is not in
the middle of a request, including connections it has just accepted whose request is
still in the socket buffer: their clients get a reset, not a response. This happens on
every SIGTERM under load, so on every gunicorn ``HUP``, ``max-requests`` recycle and
rolling restart. Here the server stops accepting first (other workers, or the listen
backlog, take new connections), waits until every accepted connection has its request,
and only then shuts down as uvicorn does.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from types import FrameType

from uvicorn.config import Config
from uvicorn.server import Server

from .drain import DrainDelay

logger = logging.getLogger("uvicorn.error")

POLL_SECONDS = 0.01
#: A client that connects and sends nothing (a pre-connect) delays the stop at most this long.
LONGEST_WAIT_SECONDS = 5.0


class DrainingServer(Server):
    #: The drain delay this server keeps after SIGTERM, when it is the process that got it
    #: (a single-process server; a supervisor keeps it for its workers).
    drain: DrainDelay | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain is not None and self.drain.begin():
            return  # uvicorn's own handling follows once the delay is over (on_tick)
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self.drain is not None and self.drain.over and not self.should_exit:
            super().handle_exit(signal.SIGTERM, None)
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.stop_accepting()
        deadline = time.monotonic() + min(self.config.timeout_keep_alive, LONGEST_WAIT_SECONDS)
        while self.connections_awaiting_a_request() and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
        await super().shutdown(sockets)

    def stop_accepting(self) -> None:
        for listener in self.servers:
            listener.close()

    def connections_awaiting_a_request(self) -> bool:
        """Accepted connections whose first request has not been read yet (a connection
        between two keep-alive requests keeps its last, completed, request cycle)."""
        return any(
            getattr(connection, "cycle", None) is None
            for connection in self.server_state.connections
        )


class RecyclingServer(DrainingServer):
    """A worker that recycles itself after ``max_requests`` without failing any.

    uvicorn's own ``limit_max_requests`` shuts down at once, closing connections it has
    accepted whose request has not arrived yet: their clients get no response. Here the
    worker first stops accepting (its siblings take new connections from the shared
    listening socket), waits until every accepted connection has its request, and only then
    shuts down gracefully.
    """

    def __init__(self, config: Config, max_requests: int | None) -> None:
        super().__init__(config)
        self.max_requests = max_requests
        self.draining_since: float | None = None

    async def on_tick(self, counter: int) -> bool:
        if await super().on_tick(counter):
            return True
        if self.max_requests is None or self.server_state.total_requests < self.max_requests:
            return False
        if self.draining_since is None:
            logger.info(
                "Maximum request limit of %d reached: no new connections, recycling.",
                self.max_requests,
            )
            self.stop_accepting()
            self.draining_since = time.monotonic()
        waited = time.monotonic() - self.draining_since
        return not self.connections_awaiting_a_request() or waited > self.config.timeout_keep_alive
