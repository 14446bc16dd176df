"""``runtime/drain.py`` and the health paths' pieces in this process; the real servers'
behaviour is in test_health_and_drain.py."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from django_prodserver.runtime import drain, health
from django_prodserver.runtime.drain import DrainDelay, DrainFlag
from django_prodserver.runtime.health import HealthLinesOmitted, HealthPaths


def test_the_flag_goes_in_dev_shm_first_and_only_its_creator_removes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(drain, "FLAG_PLACES", (str(tmp_path),))
    monkeypatch.delenv(health.DRAIN_FLAG_VARIABLE, raising=False)
    flag = DrainFlag.create(logging.getLogger("test"))
    assert flag is not None
    assert Path(flag.directory).parent == tmp_path
    assert oct(os.stat(flag.directory).st_mode & 0o777) == "0o700"
    assert os.environ[health.DRAIN_FLAG_VARIABLE] == flag.path
    assert not health.draining()
    flag.raise_flag()
    assert health.draining()
    flag.owner = -1  # as in a forked worker
    flag.remove()
    assert Path(flag.directory).exists()
    flag.owner = os.getpid()
    flag.remove()
    assert not Path(flag.directory).exists()


def test_no_writable_place_is_a_warning_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(drain, "FLAG_PLACES", ())

    def unwritable(**kwargs: object) -> str:
        raise OSError("read-only file system")

    monkeypatch.setattr("tempfile.mkdtemp", unwritable)
    with caplog.at_level(logging.WARNING):
        assert DrainFlag.create(logging.getLogger("test")) is None
    assert "No writable /dev/shm" in caplog.text


def test_the_delay_counts_once_and_leaves_the_rest_of_the_graceful_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "_draining_here", False)
    delay = DrainDelay(5, logging.getLogger("test"))
    assert not delay.draining
    assert not delay.over
    assert delay.begin()
    assert not delay.begin(), "a second SIGTERM stops at once"
    assert health.draining()
    assert delay.left_of(20) == 15
    assert delay.left_of(3) == drain.SHORTEST_STOP_SECONDS
    assert delay.left_of(None) is None


def test_the_delay_is_read_once_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(drain.DELAY_VARIABLE, "2.5")
    monkeypatch.delenv(health.READINESS_VARIABLE, raising=False)
    delay = DrainDelay.from_environment(logging.getLogger("test"))
    assert delay is not None
    assert (delay.seconds, delay.flag) == (2.5, None)  # no readiness path: no flag
    assert drain.DELAY_VARIABLE not in os.environ
    assert DrainDelay.from_environment(logging.getLogger("test")) is None


def record(args: object) -> logging.LogRecord:
    return logging.LogRecord("x", logging.INFO, "", 0, "%s", args, None)  # type: ignore[arg-type]


def test_health_lines_are_dropped_from_uvicorn_and_granian_records() -> None:
    omitted = HealthLinesOmitted(("/readyz", "/livez"))
    uvicorn = ("127.0.0.1:5000", "GET", "/readyz?probe=1", "1.1", 200)
    assert not omitted.filter(record(uvicorn))
    assert omitted.filter(record(("127.0.0.1:5000", "GET", "/", "1.1", 200)))
    assert not omitted.filter(record({"path": "/livez", "dt_ms": 0.1}))
    assert omitted.filter(record({"path": "/", "dt_ms": 0.1}))
    assert omitted.filter(record(None))


def test_paths_answer_only_get_and_head_exactly() -> None:
    paths = HealthPaths(liveness="/livez", readiness="/readyz")
    live = paths.answer("/livez", "GET")
    assert live is not None
    assert (live.status, live.body) == (200, b"alive\n")
    head = paths.answer("/readyz", "HEAD")
    assert head is not None
    assert (head.status, head.body) == (200, b"")
    posted = paths.answer("/readyz", "POST")
    assert posted is not None
    assert posted.status == 405
    assert ("allow", "GET, HEAD") in posted.headers
    assert paths.answer("/readyz/", "GET") is None
    assert not HealthPaths().configured
