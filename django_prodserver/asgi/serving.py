"""What a server imports when a process's ARGS turn prodserver's ASGI handler on:
``django_prodserver.asgi.serving:application``, the project's own ASGI application with
the Django handler inside it made by prodserver.

``prodserver`` puts the project's import string and the pool size in the environment, where
every worker process (spawned by uvicorn or Granian, forked by gunicorn) finds them, and
gives the server this import string instead of the project's. So the same command works by
hand::

    PRODSERVER_ASGI_APPLICATION=mysite.asgi:application PRODSERVER_SYNC_THREADS=10 \\
        uvicorn django_prodserver.asgi.serving:application

The project's module is imported with ``django.core.asgi.get_asgi_application()`` returning
our handler, so a router that mounts websocket consumers beside Django (Channels'
``ProtocolTypeRouter``) and any ASGI middleware around it stay in place.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from functools import cache
from typing import Any

APPLICATION_VARIABLE = "PRODSERVER_ASGI_APPLICATION"
THREADS_VARIABLE = "PRODSERVER_SYNC_THREADS"
ENTRY_POINT = "django_prodserver.asgi.serving:application"
#: Threads for sync views, per process, unless told otherwise: requests of different clients
#: run side by side up to this many; more wait for a free thread (a2wsgi's default too).
DEFAULT_THREADS = 10

logger = logging.getLogger("django_prodserver.asgi")


def __getattr__(name: str) -> Any:
    if name == "application":
        return project_application()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def project_application() -> Any:
    import_string = os.environ.get(APPLICATION_VARIABLE, "")
    module_name, _, attribute = import_string.partition(":")
    if not module_name or not attribute:
        raise RuntimeError(
            f"{ENTRY_POINT} serves the application named by ${APPLICATION_VARIABLE} "
            f"('module:attribute'), and it is {import_string!r}"
        )
    import django.core.asgi

    from .handler import ProdserverASGIHandler

    # get_asgi_application() builds ``ASGIHandler()`` from this module's globals: however the
    # project imported that function, it now builds ours.
    django.core.asgi.ASGIHandler = ProdserverASGIHandler  # type: ignore[attr-defined]
    built_before = ProdserverASGIHandler.instances
    module = sys.modules.get(module_name)
    # Imported already (by the checks, in this process): run it again to rebuild its handler.
    module = importlib.reload(module) if module else importlib.import_module(module_name)
    application = getattr(module, attribute)
    if ProdserverASGIHandler.instances == built_before:
        application = _without_get_asgi_application(import_string, application)
    return application


def _without_get_asgi_application(import_string: str, application: Any) -> Any:
    from django.core.handlers.asgi import ASGIHandler

    from .handler import ProdserverASGIHandler

    if isinstance(application, ASGIHandler):
        logger.info("%s is Django's ASGIHandler: serving prodserver's in its place", import_string)
        return ProdserverASGIHandler()
    logger.warning(
        "%s did not call django.core.asgi.get_asgi_application() when imported, so "
        "prodserver's ASGI handler could not take the place of Django's: it is served "
        "unchanged. Build it with django_prodserver.asgi.get_asgi_application() instead.",
        import_string,
    )
    return application
