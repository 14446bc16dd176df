"""JSON lines from Granian's own processes.

Granian sets its loggers up in its supervisor (this process) when its server starts, and
again in each worker before the application is imported (there ``django.setup()`` and our
AppConfig then apply the JSON format). Its access lines are records whose arguments are
the request's fields, copied here onto the record so that JSON lines carry them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .json_logs import json_logs_wanted, use_json_lines

#: Granian's access fields, under the names of our JSON access lines.
FIELDS = {
    "method": "method",
    "path": "path",
    "query_string": "query",
    "status": "status",
    "addr": "client",
}


class GranianAccessFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, Mapping) and "dt_ms" in args:
            for granian_name, ours in FIELDS.items():
                setattr(record, ours, args.get(granian_name))
            record.duration_ms = round(float(args["dt_ms"]), 3)
        return True


def add_access_fields() -> None:
    access = logging.getLogger("granian.access")
    if not any(isinstance(found, GranianAccessFields) for found in access.filters):
        access.addFilter(GranianAccessFields())


@contextmanager
def json_lines_in_granian() -> Iterator[None]:
    """While Granian starts from this process, its logging set-up ends with ours."""
    if not json_logs_wanted():
        yield
        return
    import importlib

    # The supervisor's module and the workers' (forked, they keep this patch; spawned,
    # they import the application, whose django.setup() runs our AppConfig).
    modules: list[Any] = [
        importlib.import_module(name) for name in ("granian.server.common", "granian.server.mp")
    ]
    original = modules[0].configure_logging

    def configure_logging(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        add_access_fields()
        use_json_lines()

    for module in modules:
        module.configure_logging = configure_logging
    try:
        yield
    finally:
        for module in modules:
            module.configure_logging = original
