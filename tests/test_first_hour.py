"""A new user's first hour, from a fresh ``django-admin startproject``: the docs' steps work
as written, and mistakes are caught where the user makes them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from .support.servers import REPO_ROOT, ServerFactory, free_port
from .support.startproject import add_settings, install_app, manage, start_project

pytestmark = pytest.mark.server

QUICKSTART = (REPO_ROOT / "docs" / "quickstart.md").read_text()


def quickstart_python() -> str:
    (code,) = re.findall(r"```python\n(.+?)```", QUICKSTART, re.S)
    return "\n".join(line.removeprefix("   ") for line in code.splitlines())


def quickstart_commands() -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of the page, with the lines the page shows it printing."""
    found = []
    for block in re.findall(r"```text\n(.+?)```", QUICKSTART, re.S):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith("$ "):
            found.append((lines[0][2:], lines[1:]))
    return found


@pytest.fixture
def fresh_project(tmp_path: Path) -> Path:
    project = start_project(tmp_path / "mysite")
    install_app(project)
    return project


def test_the_quickstart_word_by_word(fresh_project: Path, servers: ServerFactory) -> None:
    add_settings(fresh_project, quickstart_python())
    (dry_run, dry_run_output), (start, _banner) = quickstart_commands()

    assert dry_run == "python manage.py prodserver web --dry-run"
    result = manage(fresh_project, *dry_run.split()[2:])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == dry_run_output
    assert "ASGI_APPLICATION is not set: serving mysite.asgi.application" in result.stderr

    assert start == "python manage.py prodserver web"
    port = free_port()
    # The page's 0.0.0.0:8000, moved to loopback and a free port (tests bind nothing else).
    command = [sys.executable, *start.split()[1:], "--", "--host", "127.0.0.1", "--port", str(port)]
    server = servers.start_command(command, port, cwd=fresh_project, env={})
    server.wait_ready("/")
    assert server.get("/").status_code == 200
    assert server.get("/admin/login/").status_code == 200
    assert server.stop() == 0
    assert "prodserver: starting 'web' (UvicornServer)" in server.output()
