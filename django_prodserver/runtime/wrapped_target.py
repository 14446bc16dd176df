"""What Granian imports when a process's ARGS give health paths or metrics:
``django_prodserver.runtime.wrapped_target:application``, the application named by
``$PRODSERVER_TARGET`` with prodserver's layers around it: the health paths (``health.py``)
and the request metrics (``metrics.py``).

Granian imports its target in each worker process it starts, so the layers go around it
here, by name, as the ASGI handler's entry point does (``asgi/serving.py``). The same command
works by hand::

    PRODSERVER_TARGET=mysite.wsgi:application PRODSERVER_TARGET_INTERFACE=wsgi \\
    PRODSERVER_READINESS_PATH=/readyz granian --interface wsgi \\
        django_prodserver.runtime.wrapped_target:application
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from typing import Any

from .health import HealthPaths, omit_health_lines, with_health_paths, with_wsgi_health_paths
from .metrics import record_worker_start, with_request_metrics

TARGET_VARIABLE = "PRODSERVER_TARGET"
INTERFACE_VARIABLE = "PRODSERVER_TARGET_INTERFACE"
ENTRY_POINT = "django_prodserver.runtime.wrapped_target:application"


def __getattr__(name: str) -> Any:
    if name == "application":
        return wrapped_application()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def wrapped_application() -> Any:
    import_string = os.environ.get(TARGET_VARIABLE, "")
    module_name, _, attribute = import_string.partition(":")
    if not module_name or not attribute:
        raise RuntimeError(
            f"{ENTRY_POINT} serves the application named by ${TARGET_VARIABLE} "
            f"('module:attribute'), and it is {import_string!r}"
        )
    application = getattr(importlib.import_module(module_name), attribute)
    paths = HealthPaths.from_environment()
    # After the import: the project's LOGGING (django.setup()) has been applied by now.
    omit_health_lines("granian.access", paths)
    record_worker_start()
    if os.environ.get(INTERFACE_VARIABLE) == "wsgi":
        return with_wsgi_health_paths(with_request_metrics(application, wsgi=True), paths, None)
    return with_health_paths(with_request_metrics(application), paths, None)


def target_environment(target: str, interface: str) -> dict[str, str]:
    """What the worker processes need to find the application behind the layers."""
    return {TARGET_VARIABLE: target, INTERFACE_VARIABLE: interface}
