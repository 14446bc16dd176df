"""The example project's URLs, plus one a benchmark needs: a full garbage collection in
the worker that answers, as a long-running worker eventually runs one."""

import gc
import os

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def collect(request: HttpRequest) -> JsonResponse:
    gc.collect()
    return JsonResponse({"pid": os.getpid()})


urlpatterns = [
    path("bench/collect/", collect),
    path("", include("example_project.urls")),
]
