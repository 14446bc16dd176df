"""Django's sync handler chain, run for one request in one thread of a bounded pool.

Everything Django's WSGI handler does for a request happens here, in the one thread: the
``request_started`` signal (which closes stale database connections), the request object,
the middleware loaded for sync and the view, and ``response.close()`` (which sends
``request_finished`` and closes them again). So a database connection is opened, used and
closed on the same thread, as under a threaded WSGI server. The event loop only reads the
body before and writes the response after.

A sync streaming response (``StreamingHttpResponse`` over a generator, ``FileResponse``) is
consumed in the thread too, each chunk handed to the loop as it comes, instead of being read
whole into memory as Django's ASGI handler does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from typing import IO, Any

from django.core import signals
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

Message = Mapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]


class SyncChain(BaseHandler):
    """The project's middleware loaded for sync, as ``WSGIHandler`` loads it."""

    def __init__(self, owner: ASGIHandler) -> None:
        super().__init__()
        self.owner = owner
        self.load_middleware(is_async=False)

    def handle_uncaught_exception(self, request: Any, resolver: Any, exc_info: Any) -> Any:
        return self.owner.handle_uncaught_exception(request, resolver, exc_info)

    def respond(
        self, scope: dict[str, Any], body_file: IO[bytes], stream: ThreadStream
    ) -> HttpResponseBase | None:
        """Serve the request; return the response for the loop to send, or None when it has
        been streamed from here already."""
        owner = self.owner
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=owner.__class__, scope=scope)
        response: Any
        request, response = owner.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = owner.__class__
            urlconf = getattr(request, "urlconf", None)
            if urlconf is not None:
                stream.urlconf_seen = urlconf
        if response.streaming and not response.is_async:
            if isinstance(response, FileResponse):
                response.block_size = owner.chunk_size
            try:
                stream.send_all(response, owner.chunk_size)
            finally:
                response.close()
            return None
        if not response.streaming:
            response.close()  # request_finished, on this thread; the content is in memory
        served: HttpResponseBase = response
        return served


class ClientGone(Exception):
    """The client disconnected while a sync streaming response was being sent."""


class ThreadStream:
    """Sends ASGI messages from the pool thread through the event loop, one at a time
    (so a slow client holds the thread back instead of piling up chunks in memory), and
    stops the iteration once the client has gone."""

    urlconf_seen: object = None

    def __init__(self, loop: asyncio.AbstractEventLoop, receive: Receive, send: Send) -> None:
        self.loop = loop
        self.receive = receive
        self._send = send
        self.gone = threading.Event()
        self._watcher: asyncio.Task[None] | None = None

    def send_all(self, response: HttpResponseBase, chunk_size: int) -> None:
        asyncio.run_coroutine_threadsafe(self._start(response), self.loop).result()
        try:
            for part in response:
                for start in range(0, len(part), chunk_size):
                    chunk = part[start : start + chunk_size]
                    self.send({"type": "http.response.body", "body": chunk, "more_body": True})
            self.send({"type": "http.response.body"})
        except ClientGone:
            pass
        finally:
            self.loop.call_soon_threadsafe(self._stop_watching)

    def send(self, message: Message) -> None:
        if self.gone.is_set():
            raise ClientGone
        done: Future[None] = asyncio.run_coroutine_threadsafe(self._deliver(message), self.loop)
        done.result()

    async def _deliver(self, message: Message) -> None:
        await self._send(message)

    async def _start(self, response: HttpResponseBase) -> None:
        self._watcher = asyncio.create_task(self._watch())
        await self._send(start_message(response))

    async def _watch(self) -> None:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.gone.set()
                return

    def _stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()


def start_message(response: HttpResponseBase) -> Message:
    """``http.response.start`` for ``response``, with its headers and cookies encoded as
    Django's ASGI handler encodes them."""
    headers = []
    for header, value in response.items():
        headers.append(
            (
                header.encode("ascii") if isinstance(header, str) else bytes(header),
                value.encode("latin1") if isinstance(value, str) else bytes(value),
            )
        )
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}
