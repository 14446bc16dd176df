"""Unit tests of the gunicorn master's pieces (``runtime/gunicorn_master.py``) that wrap
gunicorn's hooks and arbiter methods, on gunicorn's own ``Config`` and ``Arbiter``
methods. The master itself is tested running, in the server and reliability suites."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.errors import HaltServer
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

from django_prodserver.runtime import gunicorn_master
from django_prodserver.runtime.gunicorn_master import (
    halt_once,
    record_requests_by_hooks,
    records_requests_by_hooks,
)
from django_prodserver.runtime.health import HEALTH_ANSWERED
from django_prodserver.runtime.metrics import Metrics, RequestFigures
from django_prodserver.workers import UvicornWorker


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> RequestFigures:
    from prometheus_client import CollectorRegistry

    made = Metrics(CollectorRegistry())
    monkeypatch.setattr(gunicorn_master, "metrics", lambda: made)
    return made.figures


def test_gunicorns_own_wsgi_workers_frame_requests_with_hooks() -> None:
    assert records_requests_by_hooks(SyncWorker)
    assert records_requests_by_hooks(ThreadWorker)
    assert not records_requests_by_hooks(UvicornWorker)
    assert not records_requests_by_hooks("gthread")


def test_each_request_is_recorded_and_the_projects_hooks_still_run(
    figures: RequestFigures,
) -> None:
    cfg = Config()
    seen: list[str] = []
    cfg.set("pre_request", lambda worker, req: seen.append("pre"))
    cfg.set("post_request", lambda worker, req, environ, resp: seen.append("post"))
    record_requests_by_hooks(cfg)

    answered = SimpleNamespace(method="GET")
    cfg.pre_request(None, answered)
    cfg.post_request(None, answered, {}, SimpleNamespace(status_code=404, sent=9))
    failed = SimpleNamespace(method="POST")
    cfg.pre_request(None, failed)
    cfg.post_request(None, failed, {}, None)  # no response made: gunicorn answers a 500
    probe = SimpleNamespace(method="GET")
    cfg.pre_request(None, probe)
    cfg.post_request(None, probe, {HEALTH_ANSWERED: True}, SimpleNamespace(status_code=200))

    assert seen == ["pre", "post"] * 3
    assert figures.requests == {("GET", 404): 1, ("POST", 500): 1}
    assert figures.sent == 9
    assert figures.begun == figures.ended == 2


def test_a_failing_project_hook_still_records(figures: RequestFigures) -> None:
    cfg = Config()

    def broken(worker: Any, req: Any, environ: Any, resp: Any) -> None:
        raise RuntimeError("the project's hook")

    cfg.set("post_request", broken)
    record_requests_by_hooks(cfg)
    request = SimpleNamespace(method="GET", path="/")
    worker = SimpleNamespace(log=logging.getLogger("test"))
    cfg.pre_request(worker, request)  # gunicorn's own pre_request hook logs the request
    with pytest.raises(RuntimeError):
        cfg.post_request(worker, request, {}, SimpleNamespace(status_code=200, sent=2))

    assert figures.requests == {("GET", 200): 1}


class Arbiter:
    """What ``halt_once`` wraps: gunicorn 27's halt(), whose stop() reaps the workers."""

    def __init__(self, boot_errors: int) -> None:
        self.boot_errors = boot_errors
        self.exit_status: int | None = None

    def reap_workers(self) -> None:
        if self.boot_errors:
            self.boot_errors -= 1
            raise HaltServer("Worker failed to boot.", 3)

    def halt(self, reason: str | None = None, exit_status: int = 0) -> None:
        self.reap_workers()  # as stop() does
        self.exit_status = exit_status


def test_halting_for_a_boot_error_ignores_the_next_one() -> None:
    arbiter = Arbiter(boot_errors=2)
    halt_once(arbiter)
    with pytest.raises(HaltServer) as first:
        arbiter.reap_workers()

    arbiter.halt(reason=first.value.reason, exit_status=first.value.exit_status)

    assert arbiter.exit_status == 3
    assert arbiter.boot_errors == 0
