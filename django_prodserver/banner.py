"""The one line ``prodserver`` prints before the server takes over."""

from __future__ import annotations

import django

from .backends.base import BaseServerBackend


def banner(process_name: str, backend: BaseServerBackend) -> str:
    description = backend.describe()
    parts = [f"prodserver: starting {process_name!r} ({type(backend).__name__})"]
    if description.binds:
        parts[0] += " on " + ", ".join(str(bind) for bind in description.binds)
    if description.workers:
        kind = f" ({description.worker_class})" if description.worker_class else ""
        parts.append(f"workers {description.workers}{kind}")
    if description.loop:
        parts.append(f"loop {description.loop}")
    if description.http:
        parts.append(f"http {description.http}")
    if description.handler:
        parts.append(description.handler)
    parts.append(f"Django {django.get_version()}")
    return ", ".join(parts)
