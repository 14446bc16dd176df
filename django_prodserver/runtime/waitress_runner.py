"""waitress with a graceful stop: on SIGTERM or SIGINT it stops accepting, lets the requests
in flight finish (up to the graceful timeout) and exits 0. waitress by hand has no such
stop: its process ends at once, cutting off what is in flight. With a drain delay
(``drain.py``), SIGTERM first keeps it serving for that long."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from .access_log import ACCESS_LOGGER, log_to_stdout
from .drain import DrainDelay
from .json_logs import use_json_lines


class GracefulStop:
    def __init__(self, drain: DrainDelay | None = None) -> None:
        self.requested = False
        self.drain = drain

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGTERM and self.drain is not None and self.drain.begin():
            return  # serving on until the delay is over (see ``due``)
        self.requested = True

    @property
    def due(self) -> bool:
        if not self.requested and self.drain is not None and self.drain.over:
            self.requested = True
        return self.requested


def prepare_logging(access_lines: bool) -> None:
    """What ``waitress.serve()`` and ``waitress-serve`` do (a root handler on stderr unless
    logging has one, the ``waitress`` logger at INFO), plus our access lines on stdout and
    JSON lines when the environment asks for them."""
    if not logging.getLogger().handlers:
        logging.basicConfig()
    waitress_logger = logging.getLogger("waitress")
    if waitress_logger.level == logging.NOTSET:
        waitress_logger.setLevel(logging.INFO)
    if access_lines:
        log_to_stdout(ACCESS_LOGGER, logging.INFO)
    use_json_lines()


def serve(
    application: Callable[..., Any],
    options: dict[str, Any],
    graceful_timeout: float,
    access_lines: bool = False,
) -> None:
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer, create_server

    prepare_logging(access_lines)
    drain = DrainDelay.from_environment(logging.getLogger("waitress"))
    if drain is not None:
        graceful_timeout = drain.left_of(graceful_timeout) or graceful_timeout
    server = create_server(application, **options)
    server.print_listen("Serving on http://{}:{}")
    stop = GracefulStop(drain)
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
            if not stop.due:
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
        logging.getLogger("waitress").info("Stopped serving")
