"""The README's two commands stay true: CI runs the second, and the first starts a server."""

from __future__ import annotations

import re

import pytest

from .support.servers import REPO_ROOT, ServerFactory, free_port

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
def test_the_start_command_serves_the_example_project(servers: ServerFactory) -> None:
    """The start command after its install step, from the repository root, as written."""
    server_part = COMMANDS[0].rsplit("&& ", 1)[1]
    assert server_part == ".venv/bin/python example_project/manage.py prodserver web"
    server = servers.start_example("web", free_port())
    server.wait_ready("/")
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.stop() == 0
