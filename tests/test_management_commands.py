"""Any management command as a process: typed by its own parser (an option added to the
parser is accepted with no change of ours), run in the prodserver process; Django's
development server as a ``dev`` process; Celery beat as a process of its own."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.management.commands import clearsessions

from django_prodserver.backends.management.schema import command_parser, command_schema
from django_prodserver.conf import ProcessConfig
from django_prodserver.processes import load_backend

from .support.processes import CELERY_BEAT, MANAGEMENT_COMMAND, RUNSERVER, web
from .support.redis import RedisServer
from .support.servers import ServerFactory, free_port, run_prodserver, wait_for
from .support.task_queues import installed, manage


def command_process(command: str, args: dict[str, Any]) -> ProcessConfig:
    entry = {"BACKEND": MANAGEMENT_COMMAND, "COMMAND": command, "ARGS": args}
    return ProcessConfig("job", MANAGEMENT_COMMAND, args, entry)


def test_an_option_added_to_the_parser_is_accepted_with_no_change_of_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def add_arguments(self: object, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--dry-run-only", action="store_true")

    monkeypatch.setattr(clearsessions.Command, "add_arguments", add_arguments, raising=False)
    command_schema.cache_clear()
    command_parser.cache_clear()
    try:
        backend = load_backend(
            command_process("clearsessions", {"batch_size": 10, "dry-run-only": True})
        )
        assert backend.command_line() == [
            "python", "manage.py", "clearsessions", "--batch-size=10", "--dry-run-only",
        ]  # fmt: skip
    finally:
        command_schema.cache_clear()
        command_parser.cache_clear()


@pytest.mark.server
def test_a_command_runs_in_the_prodserver_process_and_its_status_is_passed_on() -> None:
    processes = {
        "job": {"BACKEND": MANAGEMENT_COMMAND, "COMMAND": "check", "ARGS": {"deploy": True}}
    }
    result = run_prodserver(processes, "job")
    assert result.returncode == 0, result.stderr
    assert "prodserver: starting 'job' (ManagementCommand)" in result.stderr
    assert "System check identified" in result.stdout + result.stderr
    failing = {
        "job": {"BACKEND": MANAGEMENT_COMMAND, "COMMAND": "check", "ARGS": {"tag": ["nope"]}}
    }
    failed = run_prodserver(failing, "job")
    assert failed.returncode == 1
    assert 'There is no system check with the "nope" tag' in failed.stderr


@pytest.mark.server
def test_runserver_as_a_dev_process(servers: ServerFactory) -> None:
    port = free_port()
    processes = web({"addrport": f"127.0.0.1:{port}", "noreload": True}, RUNSERVER, name="dev")
    server = servers.start(processes, "dev", port=port, overrides={"DEBUG": True})
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert "prodserver: starting 'dev' (RunServer) on http://127.0.0.1:" in server.output()
    assert server.stop() == 0


@pytest.mark.server
def test_celery_beat_starts_sends_its_schedule_and_stops_on_term(
    servers: ServerFactory, redis: RedisServer | str, tmp_path: Path
) -> None:
    if isinstance(redis, str):
        pytest.skip(f"no Redis: {redis}")
    if not installed_celery():
        pytest.skip("Celery is not installed here")
    env = {
        "DJANGO_DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "REDIS_URL": redis.url,
        "CELERY_BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
    }
    assert manage(env, "migrate", "--no-input").returncode == 0
    process = web({"loglevel": "debug", "max-interval": "1"}, CELERY_BEAT, name="beat")
    process["beat"]["ARGS"]["schedule"] = env["CELERY_BEAT_SCHEDULE"]
    beat = servers.start(process, "beat", port=0, env=env)
    # Logged once beat has opened its schedule store: a TERM while it still imports the
    # store's module makes Celery's own handler sync a half-imported store and fail.
    wait_for(lambda: "beat: Ticking with max interval" in beat.output(), 30, "beat to start")
    assert beat.stop(signal.SIGTERM) == 0, beat.output()
    assert Path(env["CELERY_BEAT_SCHEDULE"]).exists() or list(tmp_path.glob("beat-schedule*"))


def installed_celery() -> bool:
    from .support.task_queues import QUEUES

    return installed(next(queue for queue in QUEUES if queue.module == "celery"))


def test_a_named_worker_whose_app_is_missing_says_what_to_install(settings: Any) -> None:
    from django_prodserver.errors import BackendError

    # Django's test signals clear the cache of management commands on this change.
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "django_q"]
    entry = {"BACKEND": "django_prodserver.backends.django_q2.DjangoQ2Worker"}
    with pytest.raises(BackendError) as caught:
        load_backend(ProcessConfig("worker", entry["BACKEND"], {}, entry))
    assert caught.value.message == (
        "PRODUCTION_PROCESSES['worker']: needs the management command 'qcluster', which is not "
        "available; pip install 'django-prodserver[q2]' and add 'django_q' to INSTALLED_APPS "
        "(the app of django-q2 is django_q)"
    )
