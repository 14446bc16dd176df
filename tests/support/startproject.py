"""A project as a new user has it: ``django-admin startproject mysite``, untouched but for
what a test says, with django-prodserver as the installed package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def start_project(directory: Path, name: str = "mysite") -> Path:
    """``django-admin startproject NAME DIRECTORY``; the directory holds manage.py."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", name, str(directory)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return directory


def settings_file(project: Path, name: str = "mysite") -> Path:
    return project / name / "settings.py"


def install_app(project: Path, name: str = "mysite") -> None:
    """Add "django_prodserver" to INSTALLED_APPS, as the installation page says."""
    settings = settings_file(project, name)
    text = settings.read_text()
    settings.write_text(
        text.replace("INSTALLED_APPS = [", 'INSTALLED_APPS = [\n    "django_prodserver",', 1)
    )


def add_settings(project: Path, code: str, name: str = "mysite") -> None:
    settings = settings_file(project, name)
    settings.write_text(settings.read_text() + "\n" + code + "\n")


def manage(
    project: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python manage.py ARGUMENTS`` in the project, with the project's own settings."""
    import os

    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
