"""prodserver's ASGI handler: Django's ``ASGIHandler``, except that a request for a sync view
runs Django's sync handler chain with one thread hand-off instead of one per middleware hook.

Under Django's handler every hook of a sync middleware, the sync view and the request
signals are each handed to a thread and back (``sync_to_async``): more than a dozen round
trips per request with the default middleware. Here a request for a sync view costs one:
the body is read on the event loop, the whole sync chain runs in a thread of a bounded pool
(``sync_chain.py``), and the response is written from the loop. Requests for async views,
and everything ``view_kinds.py`` cannot decide for certain, take Django's own path unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponseBase

from .serving import DEFAULT_THREADS, THREADS_VARIABLE
from .sync_chain import Receive, Send, SyncChain, ThreadStream
from .view_kinds import ViewKinds

logger = logging.getLogger("django_prodserver.asgi")


class ProdserverASGIHandler(ASGIHandler):
    """A drop-in for the handler ``django.core.asgi.get_asgi_application()`` returns."""

    #: How many have been built in this process (``serving.py`` checks that it made one).
    instances: ClassVar[int] = 0

    def __init__(self, threads: int | None = None) -> None:
        super().__init__()
        threads = threads_from_environment() if threads is None else threads
        if threads < 1:
            raise ImproperlyConfigured(f"the sync view pool needs 1 thread or more, not {threads}")
        self.threads = threads
        type(self).instances += 1
        self.view_kinds = ViewKinds(settings.MIDDLEWARE)
        self.sync_chain = None if self.view_kinds.everything_to_django else SyncChain(self)
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="prodserver-sync")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and self.sync_chain is not None
            and self.view_kinds.takes_sync_chain(scope)
        ):
            await self.serve_in_one_hand_off(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def serve_in_one_hand_off(
        self, scope: dict[str, Any], receive: Receive, send: Send
    ) -> None:
        assert self.sync_chain is not None
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        stream = ThreadStream(loop, receive, send)
        context = contextvars.copy_context()
        try:
            response = await loop.run_in_executor(
                self.pool, context.run, self.sync_chain.respond, scope, body_file, stream
            )
            if stream.urlconf_seen is not None:
                self.view_kinds.saw_urlconf_switch(stream.urlconf_seen)
            if response is None:
                return
            if response.streaming:
                await self.send_async_stream(response, receive, send)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    async def send_async_stream(
        self, response: HttpResponseBase, receive: Receive, send: Send
    ) -> None:
        """An async iterator a sync view returned: iterated on the loop as Django does, ended
        when the client disconnects, and closed in a thread of the pool."""
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sending, listening):
                if not task.done():
                    task.cancel()
            for task in (sending, listening):
                with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                    await task
            await asyncio.get_running_loop().run_in_executor(self.pool, response.close)


def threads_from_environment() -> int:
    """The pool size ``prodserver`` passes on from ARGS' ``sync-threads``, or the default."""
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if not value:
        return DEFAULT_THREADS
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"${THREADS_VARIABLE} is {value!r}, not a number of threads"
        ) from None


__all__ = ["DEFAULT_THREADS", "ProdserverASGIHandler"]
