"""What Granian imports when a process's ARGS give health paths:
``django_prodserver.runtime.health_target:application``, the application named by
``$PRODSERVER_HEALTH_TARGET`` with the health paths (``health.py``) answered before it.

Granian imports its target in each worker process it starts, so the health paths go
around it here, by name, as the ASGI handler's entry point does (``asgi/serving.py``). The
same command works by hand::

    PRODSERVER_HEALTH_TARGET=mysite.wsgi:application PRODSERVER_HEALTH_INTERFACE=wsgi \\
    PRODSERVER_READINESS_PATH=/readyz granian --interface wsgi \\
        django_prodserver.runtime.health_target:application
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from typing import Any

from .health import HealthEndpoints, HealthPaths, WSGIHealthEndpoints, omit_health_lines

TARGET_VARIABLE = "PRODSERVER_HEALTH_TARGET"
INTERFACE_VARIABLE = "PRODSERVER_HEALTH_INTERFACE"
ENTRY_POINT = "django_prodserver.runtime.health_target:application"


def __getattr__(name: str) -> Any:
    if name == "application":
        return application_with_health_paths()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def application_with_health_paths() -> Any:
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
    if os.environ.get(INTERFACE_VARIABLE) == "wsgi":
        return WSGIHealthEndpoints(application, paths)
    return HealthEndpoints(application, paths)


def target_environment(target: str, interface: str) -> dict[str, str]:
    """What the worker processes need to find the application behind the health paths."""
    return {TARGET_VARIABLE: target, INTERFACE_VARIABLE: interface}
