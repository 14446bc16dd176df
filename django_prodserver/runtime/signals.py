"""A requested stop that ends gracefully exits 0, whatever the server's mode."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


@contextmanager
def sigterm_exits_zero() -> Iterator[None]:
    """uvicorn, after draining on SIGTERM, restores the previous SIGTERM handler and raises
    the signal again. With the default handler a single-process uvicorn dies by SIGTERM
    (status 143) while its multi-worker mode exits 0; here both exit 0, as gunicorn does.
    A SIGTERM before the server captures signals also exits 0 at once."""
    previous = signal.signal(signal.SIGTERM, exit_cleanly)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
