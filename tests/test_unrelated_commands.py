"""Our checks never block commands that start no server: ``migrate`` in a Kubernetes job,
``test`` in CI, a project that has just installed the app. A typo in ARGS still fails
``manage.py check``, and what depends on the machine is checked by ``check --deploy``."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from .support.processes import GUNICORN, UVICORN, web
from .support.servers import EXAMPLE_PROJECT, process_env

PRODUCTION_ONLY = "/etc/only-in-production/key.pem"


def manage(processes: Any, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *command, "--settings=tests.process_settings"],
        cwd=EXAMPLE_PROJECT,
        env=process_env(processes, DJANGO_DATABASE_PATH=":memory:"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


CONFIGURATIONS = {
    "no PRODUCTION_PROCESSES": "absent",
    "TLS files only production has": web(
        {"ssl-certfile": PRODUCTION_ONLY, "ssl-keyfile": PRODUCTION_ONLY}
    ),
    "gunicorn TLS files only production has": web(
        {"certfile": PRODUCTION_ONLY, "keyfile": PRODUCTION_ONLY}, GUNICORN
    ),
    "a reload-dir only production has": web({"reload-dir": "/srv/only-in-production"}),
}


@pytest.mark.parametrize("command", [["migrate"], ["test"], ["check"]], ids=" ".join)
@pytest.mark.parametrize("processes", CONFIGURATIONS.values(), ids=CONFIGURATIONS.keys())
def test_commands_that_start_no_server_are_not_blocked(processes: Any, command: list[str]) -> None:
    result = manage(processes, *command)
    assert result.returncode == 0, result.stderr
    assert "(prodserver.E" not in result.stderr


def test_a_typo_in_args_still_fails_check() -> None:
    result = manage(web({"prot": "8000"}), "check")
    assert result.returncode == 1
    assert "(prodserver.E003) PRODUCTION_PROCESSES['web']['ARGS']['prot']" in result.stderr


def test_check_deploy_reports_what_this_machine_lacks() -> None:
    result = manage(web({"ssl-certfile": PRODUCTION_ONLY}, UVICORN), "check", "--deploy")
    assert result.returncode == 1
    assert (
        f"(prodserver.E007) PRODUCTION_PROCESSES['web']['ARGS']['ssl-certfile']: "
        f"{PRODUCTION_ONLY!r} is not a file" in result.stderr
    )


def test_prodserver_still_refuses_what_this_machine_lacks() -> None:
    from .support.servers import run_prodserver

    result = run_prodserver(web({"ssl-certfile": PRODUCTION_ONLY}), "--dry-run")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "CommandError: PRODUCTION_PROCESSES['web']['ARGS']['ssl-certfile']: "
        f"{PRODUCTION_ONLY!r} is not a file"
    )
