"""The gunicorn master that ``prodserver`` replaces itself with (same process, by exec).

``python -m django_prodserver.runtime.gunicorn_master [gunicorn arguments]`` is ``gunicorn
[gunicorn arguments]``, with the import path of the ``manage.py`` process, SIGUSR2 re-running
``manage.py prodserver NAME`` (so an upgrade re-reads and re-checks the settings), SIGWINCH
stopping the old workers after SIGUSR2 even when not daemonized, and gunicorn's loggers
kept alive when a preloaded Django project configures logging.
The master itself never imports the project unless ``preload`` asks it to, so SIGHUP
brings up workers that import the project's current code, as with ``gunicorn`` by hand.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import sys
import types
from typing import Any

from gunicorn.app.wsgiapp import WSGIApplication

from django_prodserver.runtime.access_log import escape_access_atoms
from django_prodserver.runtime.drain import DrainDelay
from django_prodserver.runtime.health import (
    HealthPaths,
    omit_health_from_gunicorn_access,
    with_wsgi_health_paths,
)
from django_prodserver.runtime.json_logs import use_json_lines
from django_prodserver.runtime.server_loggers import reenable_server_loggers

CONTEXT_VARIABLE = "PRODSERVER_GUNICORN_CONTEXT"
#: "0" keeps the preloaded application's objects in the garbage collector's reach.
GC_FREEZE_VARIABLE = "PRODSERVER_GC_FREEZE"


class ProdserverGunicorn(WSGIApplication):
    def __init__(
        self, restart_args: list[str], restart_cwd: str, drain: DrainDelay | None = None
    ) -> None:
        self.restart_args = restart_args
        self.restart_cwd = restart_cwd
        self.drain = drain
        self.health = HealthPaths.from_environment()
        super().__init__("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn")

    def load_config(self) -> None:
        super().load_config()
        configured_hook = self.cfg.on_starting

        def prepare_arbiter(arbiter: Any) -> None:
            arbiter.START_CTX = {
                0: sys.executable,
                "args": self.restart_args,
                "cwd": self.restart_cwd,
            }
            arbiter.handle_winch = types.MethodType(handle_winch, arbiter)
            escape_access_atoms(arbiter.log)
            if self.health.configured and not self.health.logged:
                omit_health_from_gunicorn_access(arbiter.log)
            if self.drain is not None:
                keep_drain_delay(arbiter, self.drain)
            configured_hook(arbiter)

        self.cfg.set("on_starting", prepare_arbiter)

    def load(self) -> Any:
        application = super().load()
        if not getattr(self.cfg.worker_class, "answers_health_paths", False):
            # gunicorn's own WSGI workers; our uvicorn worker answers them itself.
            application = with_wsgi_health_paths(application, self.health, None)
        reenable_server_loggers()
        use_json_lines()
        if self.cfg.preload_app and os.environ.get(GC_FREEZE_VARIABLE) != "0":
            # With preload this runs once, in the master, before the workers fork. Frozen
            # objects are left out of the workers' collections, which would otherwise write
            # to every page they live on and unshare it (copy-on-write).
            gc.freeze()
        return application


def handle_winch(arbiter: Any) -> None:
    """Stop the workers gracefully on SIGWINCH once this master has started its successor
    with SIGUSR2, as gunicorn does only when daemonized; otherwise a terminal resize, which
    also sends SIGWINCH, is ignored as usual."""
    if arbiter.cfg.daemon or arbiter.reexec_pid:
        arbiter.log.info("graceful stop of workers")
        arbiter.num_workers = 0
        arbiter.kill_workers(signal.SIGTERM)
    else:
        arbiter.log.debug("SIGWINCH ignored: no new master was started with SIGUSR2")


def keep_drain_delay(arbiter: Any, drain: DrainDelay) -> None:
    """SIGTERM starts the drain delay: the master keeps its listeners and workers (and
    replaces a worker that dies) until it is over, then stops as gunicorn does, with what is
    left of ``graceful_timeout``. A second SIGTERM, SIGINT and SIGQUIT stop at once."""
    handle_term = arbiter.handle_term
    manage_workers = arbiter.manage_workers

    def handle_term_after_delay() -> None:
        if drain.begin():
            left = drain.left_of(arbiter.cfg.graceful_timeout) or arbiter.cfg.graceful_timeout
            arbiter.cfg.set("graceful_timeout", int(left))
            return
        handle_term()

    def manage_workers_until_drained() -> None:
        manage_workers()
        if drain.over:
            raise StopIteration  # gunicorn's main loop then halts, as on SIGTERM

    arbiter.handle_term = handle_term_after_delay
    arbiter.manage_workers = manage_workers_until_drained


def main() -> None:
    context = json.loads(os.environ.pop(CONTEXT_VARIABLE))
    sys.path[:] = context["sys_path"]
    drain = DrainDelay.from_environment(logging.getLogger("gunicorn.error"))
    ProdserverGunicorn(context["restart_args"], context["restart_cwd"], drain).run()


if __name__ == "__main__":
    main()
