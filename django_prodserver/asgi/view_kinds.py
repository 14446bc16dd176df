"""Which way a request goes: the sync chain in one thread hand-off, or Django's own path.

The choice is made on the event loop before any middleware runs, from what can be known
cheaply and for certain. The rules, in order (docs/backends/asgi-handler.md):

1. A middleware that cannot run synchronously (``sync_capable = False``) sends every request
   down Django's path, where it runs natively.
2. Once a request has set ``request.urlconf`` (django-hosts, tenants), the URL a request
   resolves to can no longer be told before its middleware ran: every later request goes
   down Django's path.
3. The path is resolved against ``ROOT_URLCONF``. A sync view (function or class-based)
   takes the sync chain; an async one takes Django's path.
4. A path that does not resolve there (a 404, or a URL only a middleware's urlconf or a
   non-default language prefix knows) takes Django's path: an async view behind it would
   otherwise hold a thread of the pool for as long as it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.handlers.asgi import get_script_prefix
from django.urls import Resolver404, get_resolver
from django.utils.module_loading import import_string

logger = logging.getLogger("django_prodserver.asgi")

#: Paths whose answer is remembered. Bounded, since paths come from clients.
REMEMBERED_PATHS = 2048


class ViewKinds:
    """Decides, per request, whether the view behind it is sync (and so takes the sync chain)."""

    def __init__(self, middleware: Iterable[str]) -> None:
        self.async_only_middleware = [
            path for path in middleware if not getattr(import_string(path), "sync_capable", True)
        ]
        self.urlconf_switched = False
        self._known: dict[str, bool] = {}
        if self.async_only_middleware:
            logger.info(
                "%s cannot run synchronously: every request takes Django's own async path",
                ", ".join(self.async_only_middleware),
            )

    @property
    def everything_to_django(self) -> bool:
        return bool(self.async_only_middleware) or self.urlconf_switched

    def takes_sync_chain(self, scope: dict[str, Any]) -> bool:
        if self.everything_to_django:
            return False
        path_info = path_info_of(scope)
        known = self._known.get(path_info)
        if known is None:
            known, reason = self._decide(path_info)
            if len(self._known) < REMEMBERED_PATHS:
                self._known[path_info] = known
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s %s: %s", scope.get("method"), scope.get("path"), reason)
        return known

    def _decide(self, path_info: str) -> tuple[bool, str]:
        try:
            match = get_resolver(settings.ROOT_URLCONF).resolve(path_info)
        except Resolver404:
            return False, "resolves to no view in ROOT_URLCONF: Django's own path"
        except Exception as error:  # a broken urlconf: Django's path reports it as it does
            return False, f"resolving failed ({type(error).__name__}): Django's own path"
        view = f"{getattr(match.func, '__module__', '?')}.{match.func.__name__}"
        if iscoroutinefunction(match.func):
            return False, f"async view {view}: Django's own path, on the event loop"
        return True, f"sync view {view}: the sync chain, one thread hand-off"

    def saw_urlconf_switch(self, urlconf: object) -> None:
        if not self.urlconf_switched:
            self.urlconf_switched = True
            self._known.clear()
            logger.info(
                "a middleware set request.urlconf (%s): from now on every request takes "
                "Django's own async path, since its view can no longer be known in advance",
                urlconf,
            )


def path_info_of(scope: dict[str, Any]) -> str:
    """``request.path_info`` as Django's ASGIRequest computes it from the scope."""
    path: str = scope["path"]
    script_name = get_script_prefix(scope)
    return path.removeprefix(script_name) if script_name else path
