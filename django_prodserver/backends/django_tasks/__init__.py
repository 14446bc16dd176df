"""The worker of Django's tasks framework: ``db_worker`` from django-tasks-db, the database
backend (Django 6 ships the tasks API and no worker; the ``django-tasks`` backport no
longer has one either)."""

from collections.abc import Mapping
from typing import ClassVar

from ..management.commands import ManagementCommand


class DjangoTasksWorker(ManagementCommand):
    """``manage.py db_worker <ARGS>`` in this process. SIGTERM lets the running task
    finish, then the worker exits 0."""

    command = "db_worker"
    process_keys: ClassVar[Mapping[str, str]] = {}
    install_hint = (
        "pip install 'django-prodserver[tasks]', add 'django_tasks_db' to INSTALLED_APPS and "
        "set TASKS = {'default': {'BACKEND': 'django_tasks_db.DatabaseBackend'}}"
    )


__all__ = ["DjangoTasksWorker"]
