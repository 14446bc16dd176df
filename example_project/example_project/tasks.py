"""The job as a task of Django's tasks framework (``django.tasks`` on Django 6, the
``django-tasks`` backport before), run by ``db_worker`` (DjangoTasksWorker)."""

from __future__ import annotations

try:
    from django.tasks import task
except ImportError:  # Django < 6: the backport
    from django_tasks import task  # type: ignore[no-redef]

from . import jobs


@task()
def record(path: str, seconds: float = 0.0) -> str:
    return jobs.record(path, seconds)
