"""Every ARGS example in the README and the docs passes ``manage.py check --deploy``, or
states, in the example itself, the check id it shows and why."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import WARNING
from django.test.utils import override_settings

from django_prodserver.checks import check_configuration, check_deployment, check_machine

from .support.processes import GRANIAN, GUNICORN_UVICORN, TASKS_WORKER, UVICORN, WAITRESS
from .support.servers import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
PYTHON_BLOCK = re.compile(r"```python\n(.+?)```", re.S)
CHECK_ID = re.compile(r"\b[EW]\d{3}\b")


def examples() -> Iterator[Any]:
    for page in PAGES:
        if {"_build", "generated"} & set(page.parts):
            continue
        for number, indented in enumerate(PYTHON_BLOCK.findall(page.read_text()), 1):
            block = textwrap.dedent(indented)
            if '"ARGS"' not in block or "<" in block or "mysite.servers" in block:
                continue  # placeholders, or a custom backend that does not exist
            for index, processes in enumerate(processes_in(block, page)):
                name = f"{page.relative_to(REPO_ROOT)}#{number}.{index}"
                yield pytest.param(processes, block, id=name)


def processes_in(block: str, page: Path) -> list[dict[str, Any]]:
    """The PRODUCTION_PROCESSES a block shows: the whole setting, one process, or ARGS only
    (for the page's backend), one example a line where each line is one."""
    if "PRODUCTION_PROCESSES =" in block:
        namespace: dict[str, Any] = {}
        # The pages name the project's Celery app myproject.celery.app; the example
        # project's stands in for it.
        exec(block.replace("myproject.celery.app", "example_project.celery.app"), namespace)
        return [namespace["PRODUCTION_PROCESSES"]]
    fragment = block.strip().rstrip(",")
    if not fragment.startswith('"ARGS"'):
        return [eval("{\n" + fragment + "\n}")]
    backend = {"gunicorn.md": GUNICORN_UVICORN, "granian.md": GRANIAN, "waitress.md": WAITRESS}.get(
        page.name, UVICORN
    )
    lines = [line for line in fragment.splitlines() if line.strip()]
    fragments = lines if all(line.startswith('"ARGS"') for line in lines) else [fragment]
    return [
        {"web": {"BACKEND": backend, "ARGS": eval("{\n" + part + "\n}")["ARGS"]}}
        for part in fragments
    ]


@pytest.mark.parametrize(("processes", "block"), list(examples()))
def test_every_args_example_passes_check_deploy_or_says_why(
    processes: dict[str, Any], block: str
) -> None:
    backends = {str(process.get("BACKEND")) for process in processes.values()}
    if TASKS_WORKER in backends and find_spec("django_tasks_db") is None:
        pytest.skip("django-tasks-db is not installed here (it needs Django 5.2+)")
    with override_settings(PRODUCTION_PROCESSES=processes, DEBUG=False, ALLOWED_HOSTS=["x"]):
        messages = [
            *check_configuration(None),
            *check_machine(None),
            *check_deployment(None),
        ]
    # W006 (static files) is about the project, not about ARGS: test_first_hour covers it.
    shown = {
        str(message.id).removeprefix("prodserver.")
        for message in messages
        if message.level >= WARNING
    } - {"W006"}
    stated = set(CHECK_ID.findall(block))
    assert shown <= stated, f"check --deploy shows {sorted(shown)}: {[m.msg for m in messages]}"
