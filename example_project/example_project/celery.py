"""The example project's Celery app, named by ``"APP": "example_project.celery.app"``; its
broker is the Redis at $REDIS_URL (CELERY_* settings)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

app = Celery("example_project")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="example_project.record")
def record(path: str, seconds: float = 0.0) -> str:
    from . import jobs

    return jobs.record(path, seconds)
