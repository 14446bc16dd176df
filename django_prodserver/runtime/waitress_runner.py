"""waitress with a graceful stop: on SIGTERM or SIGINT it stops accepting, lets the requests
in flight finish (up to the graceful timeout) and exits 0. waitress by hand has no such
stop: its process ends at once, cutting off what is in flight."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any


class GracefulStop:
    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def serve(
    application: Callable[..., Any], options: dict[str, Any], graceful_timeout: float
) -> None:
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer, create_server

    server = create_server(application, **options)
    server.print_listen("Serving on http://{}:{}")
    stop = GracefulStop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    socket_map = server.map if hasattr(server, "map") else server._map
    deadline: float | None = None
    try:
        while True:
            server.asyncore.loop(
                timeout=min(server.adj.asyncore_loop_timeout, 0.2),
                map=socket_map,
                use_poll=server.adj.asyncore_use_poll,
                count=1,
            )
            if not stop.requested:
                continue
            if deadline is None:
                deadline = time.monotonic() + graceful_timeout
                for dispatcher in list(socket_map.values()):
                    if isinstance(dispatcher, BaseWSGIServer):
                        dispatcher.close()  # new connections are refused from now on
            channels = [d for d in socket_map.values() if isinstance(d, HTTPChannel)]
            for channel in channels:
                # Idle keep-alive connections close now; busy ones once their response
                # is written (they are idle then).
                if not channel.requests and not channel.total_outbufs_len:
                    channel.handle_close()
            if not channels or time.monotonic() > deadline:
                break
    finally:
        server.task_dispatcher.shutdown(timeout=1)
