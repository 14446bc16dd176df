"""The drain delay: after SIGTERM, keep serving normally for a few seconds with the
readiness path answering 503, then stop gracefully as without it.

On Kubernetes a pod that gets SIGTERM is taken out of its Service's endpoints *while* it
already stops, so requests keep arriving for a moment after it would have stopped accepting
them; the usual fix is a ``preStop: sleep``. With a drain delay the server waits itself,
and says so on its readiness path. The delay comes out of the graceful timeout: the stop
after it gets what is left, so that the whole stays within what the operator configured.

The process that receives SIGTERM (uvicorn's supervisor or its one server, the gunicorn
master, Granian's supervisor, waitress) keeps time; its worker processes learn that it
drains from the drain flag, a file in a directory this module creates, and removes.
SIGINT (Ctrl-C) and a second SIGTERM stop at once, gracefully, as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field

from .health import DRAIN_FLAG_VARIABLE, READINESS_VARIABLE, mark_draining

DELAY_VARIABLE = "PRODSERVER_DRAIN_DELAY"
#: The least the stop after a drain delay gets, even when the delay takes the whole
#: graceful timeout (a deployment check warns about that).
SHORTEST_STOP_SECONDS = 1.0


#: Where the flag goes: /dev/shm first, a tmpfs that stays writable when a container's root
#: filesystem is read-only (Docker's --read-only, Kubernetes' readOnlyRootFilesystem).
FLAG_PLACES = ("/dev/shm",)


class DrainFlag:
    """A file whose existence tells every worker process that the server drains. Its
    directory is private to this server (mode 0700) and removed when the process that
    created it exits (not when a forked worker does)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.path = os.path.join(self.directory, "draining")
        self.owner = os.getpid()
        os.environ[DRAIN_FLAG_VARIABLE] = self.path
        atexit.register(self.remove)

    @classmethod
    def create(cls, logger: logging.Logger) -> DrainFlag | None:
        """A flag in the first writable place; None (with a warning) when there is none,
        and then only the process that keeps time answers 503 while it drains."""
        places = [place for place in FLAG_PLACES if os.path.isdir(place)]
        for place in [*places, None]:
            try:
                return cls(tempfile.mkdtemp(prefix="prodserver-drain-", dir=place))
            except OSError:
                continue
        logger.warning(
            "No writable /dev/shm or temporary directory: while draining, the readiness "
            "path answers 503 in this process only, not in its workers."
        )
        return None

    def raise_flag(self) -> None:
        with open(self.path, "x"):
            pass

    def remove(self) -> None:
        if os.getpid() == self.owner:
            shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class DrainDelay:
    """The delay one server keeps: ``begin()`` on SIGTERM, then ``over`` once it passed."""

    seconds: float
    logger: logging.Logger
    flag: DrainFlag | None = None
    began: float | None = field(default=None, init=False)

    @classmethod
    def from_environment(cls, logger: logging.Logger) -> DrainDelay | None:
        """The delay ``prodserver`` put in this process's environment, if any (taken out,
        so that the worker processes do not keep time too)."""
        seconds = float(os.environ.pop(DELAY_VARIABLE, "0") or 0)
        if seconds <= 0:
            return None
        wanted = bool(os.environ.get(READINESS_VARIABLE))
        return cls(seconds, logger, DrainFlag.create(logger) if wanted else None)

    @property
    def draining(self) -> bool:
        return self.began is not None

    def begin(self) -> bool:
        """Start the delay, unless it has started already (then the caller stops at once)."""
        if self.began is not None:
            return False
        self.began = time.monotonic()
        mark_draining()
        if self.flag is not None:
            self.flag.raise_flag()
        self.logger.info(
            "Draining: still serving for %ss, readiness answers 503; then stopping gracefully.",
            f"{self.seconds:g}",
        )
        return True

    @property
    def over(self) -> bool:
        return self.began is not None and time.monotonic() - self.began >= self.seconds

    def left_of(self, graceful: float | None) -> float | None:
        """What remains of a graceful timeout for the stop after the delay (None: unlimited)."""
        if graceful is None:
            return None
        return max(graceful - self.seconds, SHORTEST_STOP_SECONDS)
