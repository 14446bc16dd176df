"""What ``uvicorn.run()`` does once uvicorn's command line is parsed, plus what a service
manager needs: sockets prodserver opened itself, and ``READY=1`` once they accept.

uvicorn's own command parses the arguments (and its ``UVICORN_*`` variables) and calls
``uvicorn.main.run``; :func:`running_uvicorn_with` points that call here for the run.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import socket
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from uvicorn import Config, Server
from uvicorn.supervisors import ChangeReload, Multiprocess

from .._compat import exit_after_failed_startup, uvicorn_supervisor
from .access_log import ACCESS_LOGGER, AccessLineWriter, FormattedAccessLog, log_to_stdout
from .drain import DrainDelay
from .draining import DrainingServer
from .health import HealthPaths, omit_health_lines, with_health_paths
from .json_logs import use_json_lines
from .limits import RequestLimits, limited_protocol
from .metrics import (
    exit_reason,
    metrics_wanted,
    record_worker_exit,
    record_worker_start,
    with_request_metrics,
)
from .metrics_endpoint import MetricsEndpoint
from .systemd import notify_ready
from .uvicorn_workers import STARTUP_FAILURE, supervised_workers

logger = logging.getLogger("uvicorn.error")


class NotifyingServer(DrainingServer):
    """uvicorn's server, telling the service manager once it has started, and losing no
    accepted request when it stops (``draining.py``)."""

    owned_socket_file: tuple[int, int] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if sockets is None and self.config.uds:
            self.owned_socket_file = socket_file_identity(self.config.uds)
        if self.started:
            notify_ready(f"uvicorn serving in process {os.getpid()}")
        else:
            exit_after_failed_startup(self, STARTUP_FAILURE)


class NotifyingMultiprocess(Multiprocess):
    """uvicorn's worker supervisor, telling the service manager once the workers are
    started on the already-listening socket (as gunicorn's arbiter does), and stopping
    with uvicorn's start-up failure status when a worker cannot start (its application
    or lifespan start-up fails), instead of restarting it forever."""

    #: The drain delay the supervisor keeps after SIGTERM, for all its workers.
    drain: DrainDelay | None = None

    def init_processes(self) -> None:
        super().init_processes()
        notify_ready(f"uvicorn supervising {self.config.workers} workers")

    def handle_term(self) -> None:
        if self.drain is not None and self.drain.begin():
            return  # the workers serve on; keep_subprocess_alive() stops them once it is over
        super().handle_term()

    def keep_subprocess_alive(self) -> None:
        if self.drain is not None and self.drain.over and not self.should_exit.is_set():
            super().handle_term()
            return
        alive_before = {id(worker): worker.process.is_alive() for worker in self.processes}
        before = list(self.processes)
        self._keep_subprocess_alive()
        for worker in before:
            if worker in self.processes or worker.pid is None:
                continue  # still serving
            # uvicorn kills a worker that did not answer its health check in time.
            hung = alive_before[id(worker)] and worker.process.exitcode == -signal.SIGKILL
            reason = exit_reason(worker.pid, killed_for_timeout=hung)
            if reason is not None and metrics_wanted():
                record_worker_exit(worker.pid, reason)

    def _keep_subprocess_alive(self) -> None:
        failed = [worker for worker in self.processes if worker.process.exitcode == STARTUP_FAILURE]
        if failed and not self.should_exit.is_set():
            logger.error(
                "Child process [%s] failed to start, stopping the parent process.",
                failed[0].process.pid,
            )
            self.should_exit.set()
            return
        super().keep_subprocess_alive()

    @property
    def startup_failed(self) -> bool:
        """Whether a worker exited with the start-up failure status: seen here, or by
        uvicorn's own supervisor (0.36+), which stops too but exits 0 itself when a worker
        is found dead only on its health check."""
        return any(worker.process.exitcode == STARTUP_FAILURE for worker in self.processes)


@dataclass(frozen=True)
class AccessLines:
    """Our access lines in place of uvicorn's: a gunicorn-style format, or JSON records."""

    format: str
    json_lines: bool
    request_id_header: str


class ProdserverConfig(Config):
    """uvicorn's configuration, with our access lines in place of uvicorn's when ARGS ask
    for them (``no-access-log`` still turns all of them off), and JSON log lines when the
    environment asks (``json_logs.py``). Picklable: uvicorn's workers get a copy."""

    def __init__(self, app: Any, *, access: AccessLines | None = None, **kwargs: Any) -> None:
        self.access_lines = access if kwargs.get("access_log", True) else None
        if self.access_lines is not None:
            kwargs["access_log"] = False
        super().__init__(app, **kwargs)

    def configure_logging(self) -> None:
        super().configure_logging()
        if self.access_lines is not None:
            log_to_stdout(ACCESS_LOGGER, logging.getLogger("uvicorn.access").level)
        omit_health_lines("uvicorn.access")
        use_json_lines()

    def load(self) -> None:
        super().load()
        if metrics_wanted():
            record_worker_start()
            self.loaded_app = with_request_metrics(self.loaded_app)
        access = self.access_lines
        access_log: Callable[[Any], Any] | None = None
        if access is not None:
            writer = AccessLineWriter(access.format, access.json_lines, access.request_id_header)
            access_log = partial(FormattedAccessLog, writer=writer)
        health = HealthPaths.from_environment()
        self.loaded_app = with_health_paths(self.loaded_app, health, access_log)
        use_json_lines()  # again: importing the application ran django.setup()


@dataclass(frozen=True)
class Listeners:
    """Sockets prodserver opened for uvicorn. ``from_systemd`` ones take the place of
    host, port and uds, as they do under gunicorn."""

    sockets: list[socket.socket]
    from_systemd: bool = False


def run(
    app: str,
    *,
    listeners: Listeners | None,
    limits: RequestLimits | None = None,
    access: AccessLines | None = None,
    app_dir: str | None = None,
    **kwargs: Any,
) -> None:
    if app_dir is not None:
        sys.path.insert(0, app_dir)
    config = ProdserverConfig(app, access=access, **kwargs)
    drain = None if config.should_reload else DrainDelay.from_environment(logger)
    endpoint = None if config.should_reload else MetricsEndpoint.from_environment(logger)
    if drain is not None:
        config.timeout_graceful_shutdown = drain.left_of(config.timeout_graceful_shutdown)  # type: ignore[assignment]
    if limits is not None:
        config.prodserver_limits = limits  # type: ignore[attr-defined]
        limited_protocol(config)
    if listeners and listeners.from_systemd:
        config.uds = None
        config.fd = listeners.sockets[0].fileno()
    sockets = listeners.sockets if listeners else None
    # The socket file this process bound, if any: the only one it may remove.
    owned = socket_file_identity(config.uds) if sockets and config.uds else None
    server = NotifyingServer(config=config)
    if config.workers == 1:
        server.drain = drain
    try:
        if config.should_reload or config.workers > 1:
            if not sockets:
                sockets = [listening(config)]
                owned = socket_file_identity(config.uds) if config.uds else None
            if config.should_reload:
                notify_ready("uvicorn reloader started")
                ChangeReload(config, target=server.run, sockets=sockets).run()
            else:
                workers = supervisor(config, server, sockets)
                workers.drain = drain
                with supervised_workers():
                    workers.run()
                if workers.startup_failed:
                    sys.exit(STARTUP_FAILURE)
        else:
            server.run(sockets=sockets)
    except KeyboardInterrupt:
        pass
    finally:
        remove_own_socket_file(config.uds, owned or server.owned_socket_file)
        if endpoint is not None:
            endpoint.close()
    if not config.should_reload and config.workers == 1:
        exit_after_failed_startup(server, STARTUP_FAILURE)


def socket_file_identity(path: str | None) -> tuple[int, int] | None:
    """The device and inode of the socket file at ``path``, if one is there."""
    try:
        found = os.stat(path) if path else None
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if found and stat.S_ISSOCK(found.st_mode) else None


def remove_own_socket_file(path: str | None, identity: tuple[int, int] | None) -> None:
    """Remove the socket file at ``path`` only if it is still the one this process bound:
    in a rolling restart, a new instance may already have bound its own at the same path
    while this one drained, and unlinking that would leave the new one unreachable."""
    if path and identity is not None and socket_file_identity(path) == identity:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def listening(config: Config) -> socket.socket:
    """uvicorn's socket for its workers, listening already, so that a connection made
    while they start waits in the backlog instead of being refused (as under gunicorn)."""
    sock = config.bind_socket()
    sock.listen(config.backlog)
    return sock


def supervisor(
    config: Config, server: Server, sockets: list[socket.socket]
) -> NotifyingMultiprocess:
    workers: NotifyingMultiprocess = uvicorn_supervisor(
        NotifyingMultiprocess, config, server, sockets
    )
    return workers


@contextmanager
def running_uvicorn_with(
    listeners: Listeners | None,
    limits: RequestLimits | None = None,
    access: AccessLines | None = None,
) -> Iterator[None]:
    # The module, not the ``uvicorn.main`` command the package exports under that name.
    main_module: Any = importlib.import_module("uvicorn.main")
    original = main_module.run
    main_module.run = partial(run, listeners=listeners, limits=limits, access=access)
    try:
        yield
    finally:
        main_module.run = original
