"""The drain delay in Granian's supervisor (``drain.py``): its SIGTERM handler, patched
while Granian starts from this process, starts the delay; Granian's own stop follows once
it is over, with what is left of ``workers-kill-timeout``."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .drain import DrainDelay


@contextmanager
def drain_delay_in_granian(drain: DrainDelay | None) -> Iterator[None]:
    if drain is None:
        yield
        return
    from granian.server import common

    server_class: Any = common.AbstractServer
    original = server_class.signal_handler_interrupt

    def signal_handler_interrupt(server: Any, *args: Any, **kwargs: Any) -> None:
        signum = args[0] if args else None
        if signum == signal.SIGTERM and drain.begin():
            server.workers_kill_timeout = drain.left_of(server.workers_kill_timeout)
            stop = threading.Timer(drain.seconds, original, (server, *args))
            stop.daemon = True
            stop.start()
            return
        original(server, *args, **kwargs)

    server_class.signal_handler_interrupt = signal_handler_interrupt
    try:
        yield
    finally:
        server_class.signal_handler_interrupt = original
