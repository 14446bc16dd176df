"""A uvicorn server whose graceful stop loses no request it has accepted.

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
import socket
import time

from uvicorn.server import Server

POLL_SECONDS = 0.01
#: A client that connects and sends nothing (a pre-connect) delays the stop at most this long.
LONGEST_WAIT_SECONDS = 5.0


class DrainingServer(Server):
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
