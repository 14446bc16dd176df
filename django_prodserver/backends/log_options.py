"""Our logging options, one meaning on every HTTP backend:

- ``"access-log-format"``: the access line in gunicorn's atoms (``%(h)s``, ``%(r)s``,
  ``%({header}i)s`` ...), gunicorn's default format when unset. Under the gunicorn backends it
  *is* gunicorn's ``access-logformat``; elsewhere the backend declares how it applies it.
- ``"log-format": "json"``: every line the server's processes write is one JSON object
  (``runtime/json_logs.py``); ``"request-id-header"`` names the request header whose value
  an access line's ``request_id`` field carries.

The choice reaches every worker process in the environment, as the ASGI handler's does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..options.schema import InvalidValue, OptionSchema, ServerOption
from ..options.translation import TranslatedArgs
from ..runtime.json_logs import (
    DEFAULT_REQUEST_ID_HEADER,
    DJANGO_LOGGERS_VARIABLE,
    LOG_FORMAT_VARIABLE,
    REQUEST_ID_VARIABLE,
)

ACCESS_LOG_FORMAT = "access-log-format"
LOG_FORMAT = "log-format"
REQUEST_ID_HEADER = "request-id-header"
LOG_FORMATS = ("text", "json")
#: gunicorn's ``access_log_format`` default, the line every backend writes unless told.
GUNICORN_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class _Zeroes(dict[str, int]):
    def __missing__(self, key: str) -> int:
        return 0


def check_access_format(value: str) -> None:
    """The format must %-format with gunicorn's atoms, each one a number or a string."""
    try:
        value % _Zeroes()
    except (ValueError, TypeError) as error:
        raise InvalidValue(
            f"{value!r} is not a format of named atoms ({error})",
            "write atoms as %(name)s, e.g. '%(h)s \"%(r)s\" %(s)s %(D)s', and a literal % as %%",
        ) from None


def check_log_format(value: str) -> None:
    if value not in LOG_FORMATS:
        raise InvalidValue(
            f"{value!r} is not a log format",
            "use 'json' (one JSON object per line) or 'text' (the servers' own lines)",
        )


def check_header_name(value: str) -> None:
    if not HEADER_NAME.match(value):
        raise InvalidValue(f"{value!r} is not a header name", "give one such as 'X-Request-ID'")


ACCESS_FORMAT_OPTION = ServerOption(
    ACCESS_LOG_FORMAT,
    takes_value=True,
    validate=check_access_format,
    help="The access line, in gunicorn's atoms (h l u t r m U q H s B b f a T D M L p "
    "{header}i {header}o {var}e). Default gunicorn's: " + GUNICORN_ACCESS_FORMAT,
)

#: ``log-format`` and ``request-id-header``, for every HTTP backend.
LOG_OPTIONS = OptionSchema(
    "prodserver",
    [
        ServerOption(
            LOG_FORMAT,
            takes_value=True,
            validate=check_log_format,
            help="'json': every line the server's processes write is one JSON object "
            "(time, level, logger, message, pid; request fields on access lines). "
            "Default 'text'.",
        ),
        ServerOption(
            REQUEST_ID_HEADER,
            takes_value=True,
            validate=check_header_name,
            help="The request header whose value is the request_id field of JSON access "
            f"lines. Default {DEFAULT_REQUEST_ID_HEADER}.",
        ),
    ],
)

#: The three, for backends whose server has no access-line format of its own.
LOG_OPTIONS_WITH_ACCESS_FORMAT = OptionSchema(
    "prodserver", [ACCESS_FORMAT_OPTION, *LOG_OPTIONS.options]
)


@dataclass(frozen=True)
class LogChoice:
    """How a process logs: JSON lines or the servers' text, and our access-line format."""

    json_lines: bool = False
    access_log_format: str | None = None
    request_id_header: str = DEFAULT_REQUEST_ID_HEADER
    #: Whether the project leaves Django's loggers as Django sets them (no LOGGING).
    django_loggers_are_ours: bool = False

    def environment(self) -> dict[str, str]:
        if not self.json_lines:
            return {}
        return {
            LOG_FORMAT_VARIABLE: "json",
            DJANGO_LOGGERS_VARIABLE: "1" if self.django_loggers_are_ours else "0",
            REQUEST_ID_VARIABLE: self.request_id_header,
        }

    @property
    def our_access_lines(self) -> bool:
        """Whether a server without a format option of its own needs our access lines."""
        return self.json_lines or self.access_log_format is not None

    @property
    def line_format(self) -> str:
        return self.access_log_format or GUNICORN_ACCESS_FORMAT


def log_choice(
    translated: TranslatedArgs, access_format_option: str = ACCESS_LOG_FORMAT
) -> LogChoice:
    """The choice ARGS make. ``access_format_option`` is where the backend's format is."""
    from django.conf import settings

    values = translated.values
    access_format = values.get(access_format_option)
    return LogChoice(
        json_lines=values.get(LOG_FORMAT) == "json",
        access_log_format=str(access_format) if access_format is not None else None,
        request_id_header=str(values.get(REQUEST_ID_HEADER, DEFAULT_REQUEST_ID_HEADER)).lower(),
        django_loggers_are_ours=not settings.LOGGING,
    )
