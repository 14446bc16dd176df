"""The servers' loggers, kept alive when a project's LOGGING sets disable_existing_loggers.

Django configures logging at ``django.setup()``, which in a uvicorn or gunicorn worker
happens when the application is imported: after the server set up its loggers, which
``disable_existing_loggers: True`` then silences. Their handlers stay; only the flag is undone.
"""

from __future__ import annotations

import logging

SERVER_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "gunicorn",
    "gunicorn.error",
    "gunicorn.access",
    "_granian",
    "granian.access",
    "waitress",
    "waitress.queue",
    # Ours: the access lines of the servers that have no format option of their own.
    "django_prodserver.access",
)


def reenable_server_loggers() -> None:
    for name in SERVER_LOGGERS:
        logging.getLogger(name).disabled = False
