"""The README's two commands stay true: CI runs the second, and the first starts a server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .servers import REPO_ROOT, ServerProcess, free_port

README = (REPO_ROOT / "README.md").read_text()
COMMANDS = re.findall(r"```bash\n(.+?)\n```", README)


def test_readme_opens_with_two_commands() -> None:
    opening = README.split("---", 1)[0]
    assert len(re.findall(r"```bash\n", opening)) == 2
    assert "example_project/manage.py prodserver web" in COMMANDS[0]
    assert COMMANDS[1].endswith("-m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    assert COMMANDS[1] in (REPO_ROOT / ".ci" / "run").read_text().splitlines()


@pytest.mark.server
def test_the_start_command_serves_the_example_project(tmp_path: Path) -> None:
    """The start command after its install step, from the repository root, as written."""
    server_part = COMMANDS[0].rsplit("&& ", 1)[1]
    assert server_part == ".venv/bin/python example_project/manage.py prodserver web"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(PORT=str(port), DJANGO_DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "example_project/manage.py", "prodserver", "web"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ServerProcess(process, log_path, f"http://127.0.0.1:{port}")
    try:
        server.wait_ready("/")
        assert server.get("/sync/").json()["view"] == "sync"
        assert server.stop() == 0
    finally:
        server.kill()
