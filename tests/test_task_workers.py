"""Each task-queue worker started by ``prodserver NAME`` works a job enqueued from Django, and
SIGTERM while a job runs lets it finish: exit 0, the job done once, none lost."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .support.redis import RedisServer
from .support.servers import ServerFactory, wait_for
from .support.task_queues import QUEUES, TaskQueue, installed, manage, shell

pytestmark = [pytest.mark.server]


@pytest.fixture(params=QUEUES, ids=lambda queue: queue.name)
def queue(request: pytest.FixtureRequest, redis: RedisServer | str) -> TaskQueue:
    chosen: TaskQueue = request.param
    if not installed(chosen):
        pytest.skip(f"{chosen.module} is not installed here (pip install 'django-prodserver[all]')")
    if chosen.needs_redis and isinstance(redis, str):
        pytest.skip(f"no Redis for {chosen.name}: {redis}")
    return chosen


@pytest.fixture
def environment(tmp_path: Path, redis: RedisServer | str) -> dict[str, str]:
    env = {
        "DJANGO_DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "CELERY_BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
    }
    if not isinstance(redis, str):
        env["REDIS_URL"] = redis.url
    migrated = manage(env, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    return env


def enqueue(queue: TaskQueue, env: dict[str, str], path: Path, seconds: float) -> str:
    code = queue.enqueue.replace("PATH", repr(str(path))).replace("SECONDS", repr(seconds))
    return shell(env, code)


def lines(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []


def test_the_worker_completes_a_job_enqueued_from_django(
    queue: TaskQueue, environment: dict[str, str], servers: ServerFactory, tmp_path: Path
) -> None:
    record = tmp_path / "record.log"
    worker = servers.start({"worker": queue.process()}, "worker", port=0, env=environment)
    job = enqueue(queue, environment, record, 0)
    wait_for(lambda: lines(record) == ["start", "done"], 60, f"{queue.name} to run the job")
    result = shell(environment, queue.result.replace("JOB", repr(job)))
    assert result == "recorded in record.log"
    assert worker.stop() == 0, worker.output()


def test_sigterm_lets_the_running_job_finish_then_exits_zero(
    queue: TaskQueue, environment: dict[str, str], servers: ServerFactory, tmp_path: Path
) -> None:
    record = tmp_path / "record.log"
    worker = servers.start({"worker": queue.process()}, "worker", port=0, env=environment)
    enqueue(queue, environment, record, 2)
    wait_for(lambda: lines(record) == ["start"], 60, f"{queue.name} to start the job")
    assert worker.stop(signal.SIGTERM, timeout=30) == 0, worker.output()
    assert lines(record) == ["start", "done"], worker.output()


def test_a_bad_celery_environment_variable_is_one_line_before_start() -> None:
    from .support.processes import CELERY_WORKER, web
    from .support.servers import run_prodserver

    result = run_prodserver(
        web({"concurrency": 1}, CELERY_WORKER, name="worker"),
        "worker",
        env={"CELERY_WORKER_LOGLEVEL": "verbose"},
    )
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("CommandError: celery: Invalid value for '-l' / '--loglevel'"), line
    assert "CELERY_* environment variables" in line
