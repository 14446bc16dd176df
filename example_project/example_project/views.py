import asyncio
import hashlib
import os

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


def sync_view(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        (version,) = cursor.fetchone()
    return JsonResponse({"view": "sync", "sqlite": version})


async def async_view(request: HttpRequest) -> JsonResponse:
    await asyncio.sleep(0)
    return JsonResponse({"view": "async"})


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def request_info(request: HttpRequest) -> JsonResponse:
    """What the server told Django about this request: client address, scheme, worker."""
    return JsonResponse(
        {
            "client": request.META.get("REMOTE_ADDR"),
            "scheme": request.scheme,
            "script_name": request.META.get("SCRIPT_NAME", ""),
            "pid": os.getpid(),
        }
    )


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


@csrf_exempt
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    """The size and SHA-256 of the request body, so a client can check it arrived intact."""
    digest = hashlib.sha256()
    size = 0
    while chunk := request.read(64 * 1024):
        digest.update(chunk)
        size += len(chunk)
    return JsonResponse({"size": size, "sha256": digest.hexdigest()})


async def slow(request: HttpRequest) -> JsonResponse:
    """Answers after ``?seconds=`` (at most 30): a request to be in flight when the server
    is told to stop or restart."""
    seconds = min(float(request.GET.get("seconds", "1")), 30.0)
    await asyncio.sleep(seconds)
    return JsonResponse({"slept": seconds, "pid": os.getpid()})
