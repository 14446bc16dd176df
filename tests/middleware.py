"""A natively async middleware: nothing for Django to hand to a thread."""

from __future__ import annotations

from typing import Any

from django.utils.decorators import async_only_middleware


@async_only_middleware
def NativeAsyncMiddleware(get_response: Any) -> Any:
    async def middleware(request: Any) -> Any:
        return await get_response(request)

    return middleware


#: Async only (``sync_capable = False``): prodserver's handler must leave every request to
#: Django's own async path.
AsyncOnlyMiddleware = NativeAsyncMiddleware


def SwitchingUrlconfMiddleware(get_response: Any) -> Any:
    """Sets ``request.urlconf``, as django-hosts and multi-tenant packages do."""

    def middleware(request: Any) -> Any:
        request.urlconf = "tests.handler_views"
        return get_response(request)

    return middleware
