"""prodserver's ASGI handler for Django: ``get_asgi_application()`` is a drop-in for
``django.core.asgi.get_asgi_application()`` that serves a request for a sync view with one
thread hand-off instead of one per middleware hook (see ``handler.py``)::

    # mysite/asgi.py
    from django_prodserver.asgi import get_asgi_application

    application = get_asgi_application()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .handler import ProdserverASGIHandler


def get_asgi_application(threads: int | None = None) -> ProdserverASGIHandler:
    """Set Django up and return prodserver's ASGI handler.

    ``threads`` sizes the pool sync views run in (per process); by default the
    ``sync-threads`` of the process's ARGS under ``prodserver``, otherwise 10.
    """
    import django

    from .handler import ProdserverASGIHandler

    django.setup(set_prefix=False)
    return ProdserverASGIHandler(threads)


__all__ = ["get_asgi_application"]
