"""Views for comparing prodserver's ASGI handler with Django's, in process and in servers
(``ROOT_URLCONF = "tests.handler_views"``): each exercises one thing Django's handlers
guarantee."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import path, reverse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

FILE = Path(__file__)
#: Threads that ran /threads/ requests.
seen_threads: set[threading.Thread] = set()
#: Chunks the sync streams produced, and how many of them were closed.
stream_counts = {"chunks": 0, "closed": 0}


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Hello {request.GET.get('name', 'World')}!")


def meta(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        f"From {request.META.get('HTTP_REFERER')}", content_type=request.META.get("CONTENT_TYPE")
    )


def cookies(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("cookies")
    response.set_cookie("flavour", "oat", httponly=True, samesite="Lax")
    response.set_cookie("seen", request.COOKIES.get("seen", "no"))
    response["X-Custom"] = "yes"
    return response


@csrf_exempt
def echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.body, content_type="application/octet-stream")


@csrf_exempt
def upload(request: HttpRequest) -> JsonResponse:
    files = {}
    for name in request.FILES:
        upload = request.FILES[name]
        assert isinstance(upload, UploadedFile)
        files[name] = {"size": upload.size, "kind": type(upload).__name__}
    return JsonResponse({"files": files, "fields": dict(request.POST.items())})


@csrf_exempt
def untouched_body(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


def sync_stream(request: HttpRequest) -> StreamingHttpResponse:
    count = int(request.GET.get("count", "3"))
    delay = float(request.GET.get("delay", "0"))

    def chunks() -> Iterator[bytes]:
        try:
            for number in range(count):
                stream_counts["chunks"] += 1
                time.sleep(delay)
                yield f"chunk {number}\n".encode()
        finally:
            stream_counts["closed"] += 1

    return StreamingHttpResponse(chunks(), content_type="text/plain")


async def numbered_chunks(count: int, delay: float) -> AsyncIterator[bytes]:
    for number in range(count):
        await asyncio.sleep(delay)
        yield f"chunk {number}\n".encode()


async def async_stream(request: HttpRequest) -> StreamingHttpResponse:
    count = int(request.GET.get("count", "3"))
    delay = float(request.GET.get("delay", "0"))
    return StreamingHttpResponse(numbered_chunks(count, delay), content_type="text/plain")


def async_stream_from_sync_view(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(numbered_chunks(3, 0), content_type="text/plain")


async def events(request: HttpRequest) -> StreamingHttpResponse:
    """Server-sent events, one every ``interval`` seconds, ``count`` of them."""
    count = int(request.GET.get("count", "5"))
    interval = float(request.GET.get("interval", "0.2"))

    async def stream() -> AsyncIterator[str]:
        for number in range(count):
            yield f"data: {number} {time.time()}\n\n"
            await asyncio.sleep(interval)

    return StreamingHttpResponse(stream(), content_type="text/event-stream")


def file(request: HttpRequest) -> FileResponse:
    return FileResponse(FILE.open("rb"))


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("this view fails")


async def fails_async(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("this view fails")


def paths(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "path": request.path,
            "path_info": request.path_info,
            "script_name": request.META["SCRIPT_NAME"],
            "reversed": reverse("paths"),
            "absolute": request.build_absolute_uri(),
        }
    )


async def async_hello(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(0)
    return HttpResponse("Hello async!")


class SyncClassView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(f"class view in {threading.current_thread().name}")


class AsyncClassView(View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("async class view")


def threads(request: HttpRequest) -> HttpResponse:
    """Waits at a barrier of ``parties`` requests: it passes only when they run side by side."""
    seen_threads.add(threading.current_thread())
    barrier = BARRIERS.setdefault(int(request.GET.get("parties", "2")), None)
    if barrier is not None:
        barrier.wait(timeout=5)
    return HttpResponse("together")


BARRIERS: dict[int, threading.Barrier | None] = {}


def sleep(request: HttpRequest) -> JsonResponse:
    seconds = float(request.GET.get("seconds", "1"))
    time.sleep(seconds)
    return JsonResponse({"slept": seconds, "thread": threading.current_thread().name})


def database(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        (version,) = cursor.fetchone()
    return JsonResponse({"sqlite": version, "pid": os.getpid()})


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def where(request: HttpRequest) -> HttpResponse:
    """The thread that ran the view, to tell Django's path from the sync chain."""
    return HttpResponse(threading.current_thread().name)


urlpatterns = [
    path("", hello),
    path("health/", health),
    path("meta/", meta),
    path("cookies/", cookies),
    path("echo/", echo),
    path("upload/", upload),
    path("untouched/", untouched_body),
    path("sync-stream/", sync_stream),
    path("async-stream/", async_stream),
    path("async-stream-from-sync/", async_stream_from_sync_view),
    path("events/", events),
    path("file/", file),
    path("fails/", fails),
    path("fails-async/", fails_async),
    path("paths/", paths, name="paths"),
    path("async/", async_hello),
    path("class/", SyncClassView.as_view()),
    path("async-class/", AsyncClassView.as_view()),
    path("threads/", threads),
    path("sleep/", sleep),
    path("database/", database),
    path("where/", where),
]
