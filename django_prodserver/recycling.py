"""A uvicorn server that recycles itself after a number of requests without failing any.

uvicorn's own ``limit_max_requests`` shuts down at once, closing connections it has
accepted whose request has not arrived yet: their clients get no response. Here the worker
first stops accepting (its siblings take new connections from the shared listening socket),
waits until every accepted connection has its request, and only then shuts down gracefully.
"""

from __future__ import annotations

import logging
import time

from uvicorn.config import Config

from .draining import DrainingServer

logger = logging.getLogger("uvicorn.error")


class RecyclingServer(DrainingServer):
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
