"""``prodserver --all`` (or several names): every process in the foreground, for development
and small single-container deployments. honcho, the Procfile runner, supervises them: each
line prefixed with its process's name, SIGTERM/Ctrl-C passed to all, and when one exits
the others are stopped and its exit status passed on. A real multi-host deployment keeps
one supervisor entry per process (systemd, Kubernetes, compose)."""

from __future__ import annotations

import datetime
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from typing import Any

#: What honcho reports as a process's status when it stopped everything on a signal.
SIGNAL_STATUSES = {130: signal.SIGINT, 143: signal.SIGTERM}
DEFAULT_STOP_TIMEOUT = 30.0


def child_command(name: str, settings: str | None, pythonpath: str | None) -> list[str]:
    """``prodserver NAME`` as this process was started (``manage.py`` or ``django-admin``)."""
    script = sys.argv[0]
    launcher = (
        [script]
        if script.endswith(".py") and not script.endswith("__main__.py")
        else ["-m", "django"]
    )
    options = [
        *([f"--settings={settings}"] if settings else []),
        *([f"--pythonpath={pythonpath}"] if pythonpath else []),
    ]
    return [sys.executable, *launcher, "prodserver", name, *options]


def exit_status(returncode: int | None, statuses: Sequence[int | None]) -> int:
    """0 when a stop was asked for and every process stopped cleanly; otherwise the status
    of the process that stopped first (a signal's as the shell shows it, 128 + N)."""
    if returncode in SIGNAL_STATUSES and all(status == 0 for status in statuses):
        return 0
    if returncode is None:
        return 1
    return 128 - returncode if returncode < 0 else returncode


def run_together(
    names: Sequence[str], stop_timeout: float, settings: str | None, pythonpath: str | None
) -> int:
    from honcho.manager import Manager

    class Supervisor(Manager):  # type: ignore[misc]
        """honcho's manager, waiting ``stop_timeout`` (not honcho's 5 s) for graceful stops
        before it kills: a web server drains, a worker finishes its running task."""

        stopping_since: datetime.datetime | None = None

        def terminate(self) -> None:
            if self.stopping_since is None:
                self.stopping_since = self._clock.now()
            super().terminate()

        def kill(self) -> None:
            waited = self._clock.now() - (self.stopping_since or self._clock.now())
            if waited.total_seconds() >= stop_timeout:
                super().kill()

    manager = Supervisor()
    environment: dict[str, Any] = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in names:
        command = child_command(name, settings, pythonpath)
        manager.add_process(name, "exec " + shlex.join(command), env=environment)
    manager.loop()
    statuses = [process.get("returncode") for process in manager._processes.values()]
    return exit_status(manager.returncode, statuses)
