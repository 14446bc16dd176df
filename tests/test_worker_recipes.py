"""The worker recipes run as written: the Kubernetes worker Deployment's command and the
systemd worker unit's ExecStart, against a real Redis, work a job and stop gracefully."""

from __future__ import annotations

import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .support import containers
from .support.redis import RedisServer
from .support.servers import EXAMPLE_PROJECT, REPO_ROOT, ServerFactory, wait_for
from .support.task_queues import QUEUES, installed, manage, shell

pytestmark = pytest.mark.server
DEPLOY = EXAMPLE_PROJECT / "deploy"
CELERY = next(queue for queue in QUEUES if queue.name == "CeleryWorker")


@pytest.fixture
def environment(redis: RedisServer | str, tmp_path: Path) -> dict[str, str]:
    if isinstance(redis, str):
        pytest.skip(f"no Redis: {redis}")
    if not installed(CELERY):
        pytest.skip("Celery is not installed here")
    env = {"DJANGO_DATABASE_PATH": str(tmp_path / "db.sqlite3"), "REDIS_URL": redis.url}
    migrated = manage(env, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    return env


def lines(path: Path) -> list[str]:
    return path.read_text().split()[::2] if path.exists() else []


def works_a_job_and_stops_gracefully(
    servers: ServerFactory, command: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    worker = servers.start_command(command, 0, EXAMPLE_PROJECT, env)
    record = tmp_path / "record.log"
    enqueue = CELERY.enqueue.replace("PATH", repr(str(record)))
    shell(env, enqueue.replace("SECONDS", "0"))
    wait_for(lambda: lines(record) == ["start", "done"], 60, "the worker to run the job")
    shell(env, enqueue.replace("SECONDS", "2"))
    wait_for(lambda: lines(record) == ["start", "done", "start"], 60, "the second job to start")
    assert worker.stop(signal.SIGTERM, timeout=30) == 0, worker.output()
    assert lines(record) == ["start", "done", "start", "done"], worker.output()


def test_the_kubernetes_worker_deployment(
    servers: ServerFactory, environment: dict[str, str], tmp_path: Path
) -> None:
    deployment = yaml.safe_load((DEPLOY / "kubernetes/worker.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert "readinessProbe" not in container, "a worker serves no HTTP to probe"
    command = container["command"]
    assert command == ["python", "manage.py", "prodserver", "worker"]
    env = {**containers.dockerfile_env(DEPLOY / "Dockerfile")}
    env.update({item["name"]: item["value"] for item in container["env"]})
    assert env["REDIS_URL"].startswith("redis://")
    env.update(environment)
    works_a_job_and_stops_gracefully(servers, [sys.executable, *command[1:]], env, tmp_path)


def worker_unit() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd/prodserver-worker.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_systemd_worker_unit(
    servers: ServerFactory, environment: dict[str, str], tmp_path: Path
) -> None:
    unit = worker_unit()
    assert unit["KillMode"] == ["mixed"]
    assert unit["KillSignal"] == ["SIGTERM"]
    (exec_start,) = unit["ExecStart"]
    command = shlex.split(exec_start)
    assert command[0] == "/srv/app/.venv/bin/python"
    (directory,) = unit["WorkingDirectory"]
    assert Path(directory.replace("/srv/app", str(REPO_ROOT))) == EXAMPLE_PROJECT
    env = dict(assignment.split("=", 1) for assignment in unit["Environment"])
    env.update(environment)
    works_a_job_and_stops_gracefully(servers, [sys.executable, *command[1:]], env, tmp_path)


def test_the_worker_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = (DEPLOY / "systemd/prodserver-worker.service").read_text()
    unit = tmp_path / "prodserver-worker.service"
    unit.write_text(text.replace("/srv/app/.venv/bin/python", sys.executable))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
