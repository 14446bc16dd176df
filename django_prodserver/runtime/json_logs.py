"""``"log-format": "json"``: every line a server process writes is one JSON object.

The formatting is python-json-logger's. What is ours is *where* it is applied: to the
handlers of the servers' loggers, of our access logger, of the root logger (given one
when it has none, so that what would reach Python's last-resort handler as bare text is
JSON too), and, when the project has no ``LOGGING`` of its own, of Django's loggers.
Servers and Django set their handlers up again at several moments of a process's start
(the server's own logging set-up, then ``django.setup()`` when the application is
imported), so :func:`use_json_lines` runs after each of them; it is idempotent.

The choice travels to every worker process in the environment, as the ASGI handler's does.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timezone
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .server_loggers import SERVER_LOGGERS

LOG_FORMAT_VARIABLE = "PRODSERVER_LOG_FORMAT"
REQUEST_ID_VARIABLE = "PRODSERVER_REQUEST_ID_HEADER"
DEFAULT_REQUEST_ID_HEADER = "x-request-id"
#: "1" when the project has no LOGGING: Django's own loggers are then ours to format.
DJANGO_LOGGERS_VARIABLE = "PRODSERVER_JSON_DJANGO_LOGGERS"
DJANGO_LOGGERS = ("django", "django.server", "py.warnings")

#: The fields of every object, renamed from the LogRecord attributes they come from.
FIELDS = {
    "asctime": "time",
    "levelname": "level",
    "name": "logger",
    "message": "message",
    "process": "pid",
}
RENAMED = {
    **{key: value for key, value in FIELDS.items() if key != value},
    "exc_info": "exception",
    "stack_info": "stack",
}


class JsonLines(JsonFormatter):
    """One JSON object per record: time (RFC 3339, UTC), level, logger, message, pid, the
    record's extra fields (an access line's method, path, status ...), and the exception,
    if any, as one string field: a traceback never spans several lines."""

    def __init__(self) -> None:
        super().__init__(
            " ".join(f"%({key})s" for key in FIELDS),
            rename_fields=RENAMED,
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop("color_message", None)  # uvicorn's message again, with terminal colours

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_logs_wanted() -> bool:
    return os.environ.get(LOG_FORMAT_VARIABLE) == "json"


def use_json_lines() -> None:
    """Format every handler this process writes its logs through as JSON lines, when the
    environment asks for it. Safe to call any number of times."""
    if not json_logs_wanted():
        return
    names = [*SERVER_LOGGERS, "django_prodserver.asgi"]
    if os.environ.get(DJANGO_LOGGERS_VARIABLE) == "1":
        names.extend(DJANGO_LOGGERS)
    root = logging.getLogger()
    if not root.handlers:
        # As logging.basicConfig(): records of loggers set to INFO (waitress's) pass.
        root.addHandler(logging.StreamHandler(sys.stderr))
    for logger in (root, *(logging.getLogger(name) for name in names)):
        for handler in logger.handlers:
            format_as_json(handler)
    if logging.lastResort is not None:
        format_as_json(logging.lastResort)
    logging.captureWarnings(True)
    if "granian" in sys.modules:
        from .granian_logging import add_access_fields

        add_access_fields()


def format_as_json(handler: logging.Handler) -> None:
    if not isinstance(handler.formatter, JsonLines):
        handler.setFormatter(JsonLines())


def json_line(logger: str, message: str, level: int = logging.INFO) -> str:
    """``message`` as the JSON object a record of ``logger`` would be: for lines printed
    before the server's logging is set up (prodserver's banner)."""
    record = logging.makeLogRecord(
        {"name": logger, "msg": message, "levelno": level, "levelname": logging.getLevelName(level)}
    )
    return JsonLines().format(record)


def request_id_header() -> str:
    """The request header whose value JSON access lines carry as ``request_id``."""
    return os.environ.get(REQUEST_ID_VARIABLE, DEFAULT_REQUEST_ID_HEADER).lower()
