"""``prodserver --all``: a web server and a task worker in one foreground process tree, each
line prefixed with its name; TERM stops both and exits 0; when one dies the other is stopped
and the exit status says so; a misconfigured process keeps every process from starting."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest

from .support.processes import TASKS_WORKER, UVICORN
from .support.servers import ServerFactory, free_port, run_prodserver, wait_for
from .support.task_queues import QUEUES, installed, manage, shell

pytestmark = pytest.mark.server
TASKS = next(queue for queue in QUEUES if queue.backend == TASKS_WORKER)


@pytest.fixture
def tasks_worker() -> None:
    if not installed(TASKS):
        pytest.skip("django-tasks-db is not installed here (it needs Django 5.2+)")


@pytest.fixture
def database(tasks_worker: None, tmp_path: Path) -> dict[str, str]:
    env = {"DJANGO_DATABASE_PATH": str(tmp_path / "db.sqlite3")}
    migrated = manage(env, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    return env


def web_and_worker(port: int) -> dict[str, Any]:
    return {
        "web": {"BACKEND": UVICORN, "ARGS": {"host": "127.0.0.1", "port": port}},
        "worker": TASKS.process(),
    }


def pid_of(output: str, name: str) -> int:
    return int(re.findall(rf"\| {name} started \(pid=(\d+)\)", output)[0])


def test_both_serve_and_work_and_term_stops_both_with_exit_0(
    servers: ServerFactory, database: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    together = servers.start(
        web_and_worker(port), None, port=port, env=database, extra_arguments=["--all"]
    )
    together.wait_ready()
    record = tmp_path / "record.log"
    shell(database, TASKS.enqueue.replace("PATH", repr(str(record))).replace("SECONDS", "0"))
    wait_for(
        lambda: record.exists() and "done" in record.read_text(), 30, "the worker to run the job"
    )
    assert together.stop(signal.SIGTERM, timeout=30) == 0, together.output()
    output = together.output()
    assert re.search(r"^\d\d:\d\d:\d\d web +\| .*GET /health/", output, re.M), output
    assert re.search(r"^\d\d:\d\d:\d\d worker +\| prodserver: starting 'worker'", output, re.M)
    assert "web stopped (rc=0)" in output
    assert "worker stopped (rc=0)" in output


def test_a_worker_that_dies_stops_the_web_server_and_fails(
    servers: ServerFactory, database: dict[str, str]
) -> None:
    port = free_port()
    together = servers.start(
        web_and_worker(port), None, port=port, env=database, extra_arguments=["--all"]
    )
    together.wait_ready()
    os.kill(pid_of(together.output(), "worker"), signal.SIGKILL)
    status = together.process.wait(30)
    assert status == 128 + signal.SIGKILL, together.output()
    assert "web stopped (rc=0)" in together.output()


def test_one_misconfigured_process_starts_none(tasks_worker: None) -> None:
    port = free_port()
    processes = web_and_worker(port)
    processes["worker"]["ARGS"] = {"processes": "2"}
    result = run_prodserver(processes, "--all")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "PRODUCTION_PROCESSES['worker']['ARGS']['processes']: manage.py db_worker has no" in line


def test_names_choose_the_processes_and_overrides_are_refused(tasks_worker: None) -> None:
    processes = web_and_worker(free_port())
    listed = run_prodserver(processes, "web", "worker", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert [line.split(":")[0] for line in listed.stdout.splitlines()] == ["web", "worker"]
    refused = run_prodserver(processes, "--all", "--", "--port", "9000")
    assert refused.returncode == 2
    assert "apply to one process, not to several" in refused.stderr


@pytest.mark.parametrize(
    ("returncode", "statuses", "status"),
    [
        (143, [0, 0], 0),  # SIGTERM, both stopped cleanly
        (130, [0, 0], 0),  # Ctrl-C
        (143, [0, 1], 143),  # a stop asked for, but one process failed to stop cleanly
        (-9, [-9, 0], 137),  # a process killed by SIGKILL
        (3, [3, 0], 3),  # a server that could not start
        (None, [None, None], 1),
    ],
)
def test_the_exit_status_of_processes_run_together(
    returncode: int | None, statuses: list[int | None], status: int
) -> None:
    from django_prodserver.running_together import exit_status

    assert exit_status(returncode, statuses) == status


def test_each_process_is_started_the_way_this_one_was(monkeypatch: pytest.MonkeyPatch) -> None:
    from django_prodserver.running_together import child_command

    monkeypatch.setattr("sys.argv", ["manage.py", "prodserver", "--all"])
    assert child_command("web", "mysite.settings", None)[1:] == [
        "manage.py", "prodserver", "web", "--settings=mysite.settings",
    ]  # fmt: skip
    monkeypatch.setattr("sys.argv", ["/venv/lib/django/__main__.py", "prodserver", "--all"])
    assert child_command("web", None, "/srv")[1:] == [
        "-m", "django", "prodserver", "web", "--pythonpath=/srv",
    ]  # fmt: skip


def test_two_processes_on_one_address_start_neither() -> None:
    port = free_port()
    processes = {
        "web": {"BACKEND": UVICORN, "ARGS": {"host": "127.0.0.1", "port": port}},
        "web-again": {"BACKEND": UVICORN, "ARGS": {"host": "127.0.0.1", "port": port}},
    }
    result = run_prodserver(processes, "--all")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line == (
        f"CommandError: PRODUCTION_PROCESSES['web-again']: listens on http://127.0.0.1:{port}, "
        "as 'web' does; give each process run together its own address or port"
    )
