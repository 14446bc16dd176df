"""waitress's options, read from its own adjustment definitions (``Adjustments._params``,
the table ``waitress-serve`` builds its options from), typed by waitress's own converters."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from ...errors import BackendError
from ...options.schema import InvalidValue, OptionSchema, Refusal, ServerOption, Validator
from ..health_options import HEALTH_OPTIONS
from ..log_options import LOG_OPTIONS_WITH_ACCESS_FORMAT
from ..metrics_options import METRICS_OPTIONS

INSTALL_HINT = "pip install 'django-prodserver[waitress]'"
#: Ours: how long in-flight requests get after SIGTERM (waitress itself stops at once).
GRACEFUL_TIMEOUT = "graceful-timeout"
DEFAULT_GRACEFUL_TIMEOUT = 30
#: Adjustments that are not command-line options of waitress-serve.
NOT_OPTIONS = ("sockets",)
REFUSED = {
    "call": Refusal(
        "WSGI_APPLICATION names the application itself, not a function that makes it",
        "remove it",
    ),
}


def _positive_seconds(value: str) -> None:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise InvalidValue(f"{value!r} is not a number of seconds", "give e.g. '30'")


OUR_OPTIONS = [
    ServerOption(
        GRACEFUL_TIMEOUT,
        takes_value=True,
        validate=_positive_seconds,
        help="Seconds in-flight requests get to finish after SIGTERM before the process "
        f"exits (default {DEFAULT_GRACEFUL_TIMEOUT}). prodserver's own: waitress by hand "
        "stops at once.",
        owner="prodserver",
    )
]


@cache
def waitress_schema() -> OptionSchema:
    try:
        from waitress.adjustments import Adjustments, asbool
    except ImportError as error:
        raise BackendError(
            ("BACKEND",), f"needs waitress, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    options = [
        ServerOption(
            name.replace("_", "-"),
            takes_value=converter is not asbool,
            negative=f"no-{name.replace('_', '-')}" if converter is asbool else None,
            multiple=name == "listen",
            validate=_validator(converter, name.replace("_", "-")),
            help=f"waitress's {name} adjustment.",
        )
        for name, converter in Adjustments._params
        if name not in NOT_OPTIONS
    ]
    return (
        OptionSchema("waitress-serve", options + OUR_OPTIONS)
        .merged_with(LOG_OPTIONS_WITH_ACCESS_FORMAT, "waitress-serve")
        .merged_with(HEALTH_OPTIONS, "waitress-serve")
        .merged_with(METRICS_OPTIONS, "waitress-serve")
        .refusing(REFUSED)
    )


def _validator(converter: Callable[[str], Any], name: str) -> Validator:
    def validate(value: str) -> None:
        try:
            converter(value)
        except (ValueError, TypeError) as error:
            kind = getattr(converter, "__name__", "value")
            raise InvalidValue(
                f"{value!r} is not what --{name} takes ({kind}: {error})",
                f"see `waitress-serve --help` for what --{name} accepts",
            ) from error

    return validate
