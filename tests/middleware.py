"""A natively async middleware: nothing for Django to hand to a thread."""

from __future__ import annotations

from typing import Any

from django.utils.decorators import async_only_middleware


@async_only_middleware
def NativeAsyncMiddleware(get_response: Any) -> Any:
    async def middleware(request: Any) -> Any:
        return await get_response(request)

    return middleware
