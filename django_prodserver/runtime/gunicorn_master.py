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

import contextlib
import gc
import json
import logging
import os
import signal
import sys
import time
import types
from typing import Any

from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.errors import HaltServer

from django_prodserver.runtime.access_log import escape_access_atoms
from django_prodserver.runtime.drain import DrainDelay
from django_prodserver.runtime.health import (
    HEALTH_ANSWERED,
    HealthPaths,
    omit_health_from_gunicorn_access,
    with_wsgi_health_paths,
)
from django_prodserver.runtime.json_logs import use_json_lines
from django_prodserver.runtime.metrics import (
    exit_reason,
    metrics,
    metrics_wanted,
    note_exit,
    record_worker_exit,
    record_worker_start,
    with_request_metrics,
)
from django_prodserver.runtime.metrics_endpoint import MetricsEndpoint
from django_prodserver.runtime.server_loggers import reenable_server_loggers

CONTEXT_VARIABLE = "PRODSERVER_GUNICORN_CONTEXT"
#: "0" keeps the preloaded application's objects in the garbage collector's reach.
GC_FREEZE_VARIABLE = "PRODSERVER_GC_FREEZE"


class ProdserverGunicorn(WSGIApplication):
    def __init__(
        self,
        restart_args: list[str],
        restart_cwd: str,
        drain: DrainDelay | None = None,
        metrics: MetricsEndpoint | None = None,
    ) -> None:
        self.restart_args = restart_args
        self.restart_cwd = restart_cwd
        self.drain = drain
        self.metrics = metrics
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
            halt_once(arbiter)
            escape_access_atoms(arbiter.log)
            if self.health.configured and not self.health.logged:
                omit_health_from_gunicorn_access(arbiter.log)
            if self.drain is not None:
                keep_drain_delay(arbiter, self.drain)
            if self.metrics is not None:
                record_worker_lives(arbiter.cfg, self.metrics)
                if records_requests_by_hooks(arbiter.cfg.worker_class):
                    record_requests_by_hooks(arbiter.cfg)
            configured_hook(arbiter)

        self.cfg.set("on_starting", prepare_arbiter)

    def load(self) -> Any:
        application = super().load()
        if not getattr(self.cfg.worker_class, "answers_health_paths", False):
            # gunicorn's own WSGI workers; our uvicorn worker answers them itself.
            if not records_requests_by_hooks(self.cfg.worker_class):
                application = with_request_metrics(application, wsgi=True)
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


def halt_once(arbiter: Any) -> None:
    """A master that halts because a worker failed to boot exits with gunicorn's status for
    that (3), whatever the other workers do meanwhile.

    Without this, when two workers fail to boot (a lifespan start-up failure, say), halting
    for the first reaps the second, whose boot error raises ``HaltServer`` again, out of
    ``halt()`` itself: the master ends with a traceback and status 1, or 3, depending on
    timing (gunicorn 27 reaps in ``stop()``; under 23 the SIGCHLD handler does). While
    halting, the master is already on its way out: a second reason to halt is dropped.
    """
    halt = arbiter.halt
    reap_workers = arbiter.reap_workers

    def reap_workers_while_halting() -> None:
        with contextlib.suppress(HaltServer):
            reap_workers()

    def halt_for_one_reason(reason: str | None = None, exit_status: int = 0) -> None:
        arbiter.reap_workers = reap_workers_while_halting
        halt(reason=reason, exit_status=exit_status)

    arbiter.halt = halt_for_one_reason


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


def records_requests_by_hooks(worker_class: Any) -> bool:
    """Whether gunicorn's ``pre_request`` and ``post_request`` hooks frame each request of
    ``worker_class``'s workers: gunicorn's sync, gthread, gevent and eventlet workers call
    them around every request, ``post_request`` whatever happened (a ``finally``)."""
    from gunicorn.workers.base_async import AsyncWorker
    from gunicorn.workers.gthread import ThreadWorker
    from gunicorn.workers.sync import SyncWorker

    return isinstance(worker_class, type) and issubclass(
        worker_class, (SyncWorker, ThreadWorker, AsyncWorker)
    )


def record_requests_by_hooks(cfg: Any) -> None:
    """Each request's figures, from gunicorn's ``pre_request`` and ``post_request`` hooks,
    wrapped (the project's own still run): the status and the body bytes gunicorn sent, as
    its access line has them, and the time between the two hooks.

    Where gunicorn calls these hooks anyway, this costs a fraction of a WSGI middleware,
    which must wrap ``start_response`` and the body of every response. Requests the health
    paths answered are not counted, as under the other servers."""

    pre_request, post_request = cfg.pre_request, cfg.post_request

    def counting_pre_request(worker: Any, req: Any) -> None:
        req.prodserver_started = time.perf_counter()
        metrics().figures.started()
        pre_request(worker, req)

    def recording_post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
        try:
            post_request(worker, req, environ, resp)
        finally:
            started = getattr(req, "prodserver_started", None)
            if started is not None:
                record_request(req, environ, resp, time.perf_counter() - started)

    cfg.set("pre_request", counting_pre_request)
    cfg.set("post_request", recording_post_request)


def record_request(req: Any, environ: Any, resp: Any, seconds: float) -> None:
    """One request gunicorn answered; a request that failed before it had a response (or
    a status) counts as a 500, as gunicorn then answers one."""
    figures = metrics().figures
    if environ and environ.get(HEALTH_ANSWERED):
        figures.record_not_counted()
        return
    status = getattr(resp, "status_code", None) or 500
    figures.record(str(req.method), status, seconds, getattr(resp, "sent", 0) or 0)


def record_worker_lives(cfg: Any, endpoint: MetricsEndpoint) -> None:
    """gunicorn's hooks, wrapped (the project's own still run): a worker counts its start
    and leaves a note when it stops in order (``recycled`` after ``max_requests``); the
    master counts each exit, ``timed_out`` for a worker it aborted for its ``timeout``."""
    post_fork, worker_exit, child_exit = cfg.post_fork, cfg.worker_exit, cfg.child_exit

    def counting_post_fork(server: Any, worker: Any) -> None:
        endpoint.close_in_child()
        record_worker_start()
        post_fork(server, worker)

    def noting_worker_exit(server: Any, worker: Any) -> None:
        ending = sys.exc_info()[1]
        # gunicorn also calls this in the master, for a worker that is already gone.
        in_the_worker = os.getpid() == worker.pid
        if in_the_worker and (not isinstance(ending, SystemExit) or ending.code in (0, None)):
            recycled = worker.max_requests and worker.nr >= worker.max_requests
            note_exit("recycled" if recycled else "stopped")
        worker_exit(server, worker)

    def counting_child_exit(server: Any, worker: Any) -> None:
        reason = exit_reason(worker.pid, killed_for_timeout=bool(getattr(worker, "aborted", False)))
        if reason is not None and metrics_wanted():
            record_worker_exit(worker.pid, reason)
        child_exit(server, worker)

    cfg.set("post_fork", counting_post_fork)
    cfg.set("worker_exit", noting_worker_exit)
    cfg.set("child_exit", counting_child_exit)


def main() -> None:
    context = json.loads(os.environ.pop(CONTEXT_VARIABLE))
    sys.path[:] = context["sys_path"]
    drain = DrainDelay.from_environment(logging.getLogger("gunicorn.error"))
    # Before any worker forks, and before prometheus-client is imported anywhere here.
    metrics = MetricsEndpoint.from_environment(logging.getLogger("gunicorn.error"))
    ProdserverGunicorn(context["restart_args"], context["restart_cwd"], drain, metrics).run()


if __name__ == "__main__":
    main()
