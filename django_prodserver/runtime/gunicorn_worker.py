"""gunicorn worker classes that run uvicorn: ``gunicorn mysite.asgi:application
-k django_prodserver.workers.UvicornWorker``.

gunicorn's settings become uvicorn's: the arbiter's sockets, ``keepalive``, ``timeout``
(a heartbeat from the event loop, so a blocked loop gets the worker replaced),
``graceful_timeout``, ``max_requests`` with jitter (recycling without dropping a request),
``forwarded_allow_ips``,
``worker_connections`` (uvicorn's ``limit_concurrency``: beyond it, 503), ``root_path`` and
every TLS setting (and gunicorn's ``ssl_context`` hook, where the installed uvicorn takes
an ``ssl_context_factory``).
Options gunicorn has no name for come from ``CONFIG_KWARGS`` and then
from ``$PRODSERVER_UVICORN_ARGS`` (uvicorn command-line arguments).

Logs go through gunicorn's handlers: ``uvicorn.error`` to the error log, and one access
line per request in ``access_log_format`` where gunicorn's own workers would write one: to
``accesslog`` (none without it, as gunicorn; ``GunicornUvicornServer`` sets stdout unless
told otherwise). ``--no-access-log`` in the variable turns them off. A ``log_config`` in
``CONFIG_KWARGS`` hands logging to uvicorn instead.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from functools import partial
from types import FrameType
from typing import Any, ClassVar

from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker
from uvicorn.config import Config
from uvicorn.server import Server

from .._compat import exit_after_failed_startup, gunicorn_root_path
from .._compat import uvicorn_takes_ssl_context_factory as takes_ssl_context_factory
from .access_log import GunicornAccessLog, escape_access_atoms, gunicorn_writes_access_lines
from .draining import RecyclingServer
from .health import HealthPaths, omit_health_lines, with_health_paths
from .json_logs import use_json_lines
from .limits import RequestLimits, limited_protocol
from .metrics import with_request_metrics
from .server_loggers import reenable_server_loggers
from .signals import exit_cleanly
from .worker_args import config_kwargs_from_environment


class UvicornWorker(Worker):
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": "auto"}
    #: The master leaves the health paths (``health.py``) to this worker: the application
    #: it loads is an ASGI one.
    answers_health_paths: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config_kwargs = {
            **self._from_gunicorn_settings(),
            **self.CONFIG_KWARGS,
            **config_kwargs_from_environment(),
        }
        self.uvicorn_logging = self.config_kwargs.get("log_config") is not None
        self.access_log = bool(self.config_kwargs.pop("access_log", True))
        self.server: Server | None = None

    def _from_gunicorn_settings(self) -> dict[str, Any]:
        cfg = self.cfg
        kwargs: dict[str, Any] = {
            "timeout_keep_alive": cfg.keepalive,
            "timeout_notify": self.timeout,
            "callback_notify": self._heartbeat,
            "timeout_graceful_shutdown": max(cfg.graceful_timeout - 1, 1),
            "forwarded_allow_ips": cfg.forwarded_allow_ips,
            "backlog": cfg.backlog,
            "limit_concurrency": cfg.worker_connections,
            "root_path": gunicorn_root_path(cfg),
            "log_config": None,
        }
        if cfg.is_ssl:
            kwargs.update(
                ssl_keyfile=cfg.keyfile,
                ssl_certfile=cfg.certfile,
                ssl_version=cfg.ssl_version,
                ssl_cert_reqs=cfg.cert_reqs,
                ssl_ca_certs=cfg.ca_certs,
                ssl_ciphers=cfg.ciphers,
            )
            if takes_ssl_context_factory():
                kwargs["ssl_context_factory"] = lambda config, default: cfg.ssl_context(
                    cfg, default
                )
        return kwargs

    def init_process(self) -> None:
        escape_access_atoms(self.log)
        if not self.uvicorn_logging:
            self._route_uvicorn_logs_to_gunicorn()
        super().init_process()

    def _route_uvicorn_logs_to_gunicorn(self) -> None:
        error_log = logging.getLogger("uvicorn.error")
        if not error_log.handlers:
            error_log.handlers = list(self.log.error_log.handlers)
            error_log.setLevel(self.log.error_log.level)
            error_log.propagate = False

    def load_wsgi(self) -> None:
        super().load_wsgi()
        reenable_server_loggers()  # also without django_prodserver in INSTALLED_APPS
        use_json_lines()

    def init_signals(self) -> None:
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        # A TERM while the worker still imports the project is noted, not raised: raised
        # inside an import, gunicorn would take it for a failed boot and halt the master.
        signal.signal(signal.SIGTERM, self.handle_term_while_booting)
        signal.signal(signal.SIGINT, self.handle_quit)
        signal.signal(signal.SIGQUIT, self.handle_quit)
        signal.signal(signal.SIGUSR1, self.handle_usr1)
        signal.signal(signal.SIGWINCH, self.handle_winch)
        signal.siginterrupt(signal.SIGUSR1, False)

    async def _heartbeat(self) -> None:
        if os.getppid() != self.ppid and self.server is not None:
            self.log.info("Parent changed, shutting down: %s", self)
            self.server.should_exit = True
        self.notify()

    term_while_booting = False

    def handle_term_while_booting(self, signum: int, frame: FrameType | None) -> None:
        self.term_while_booting = True
        self.alive = False

    def run(self) -> None:
        if self.term_while_booting:
            return
        # uvicorn takes TERM and INT while serving (graceful) and raises them again once
        # drained, which this handler turns into a clean exit.
        signal.signal(signal.SIGTERM, exit_cleanly)
        health = HealthPaths.from_environment()
        access_log = None
        if self.uvicorn_logging:
            omit_health_lines("uvicorn.access", health)
        elif self.access_log and gunicorn_writes_access_lines(self.log):
            access_log = partial(GunicornAccessLog, log=self.log)
        application = with_health_paths(with_request_metrics(self.wsgi), health, access_log)
        config = Config(
            application, access_log=self.uvicorn_logging and self.access_log, **self.config_kwargs
        )
        # gunicorn's request limits, which uvicorn's protocols do not have.
        config.prodserver_limits = RequestLimits(  # type: ignore[attr-defined]
            self.cfg.limit_request_line,
            self.cfg.limit_request_fields,
            self.cfg.limit_request_field_size,
        )
        limited_protocol(config)
        recycle_after = self.max_requests if self.max_requests < sys.maxsize else None
        self.server = RecyclingServer(config, recycle_after)
        self.server.run(sockets=[getattr(listener, "sock", listener) for listener in self.sockets])
        self.nr = self.server.server_state.total_requests  # read by gunicorn's worker_exit hooks
        exit_after_failed_startup(self.server, Arbiter.WORKER_BOOT_ERROR)


class UvicornH11Worker(UvicornWorker):
    """asyncio and the pure-Python h11 parser, for PyPy."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "asyncio", "http": "h11"}
