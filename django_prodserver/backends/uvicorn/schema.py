"""uvicorn's options, read from its own click command, plus the checks its parser leaves
to start-up time (where they fail with a traceback or, for the port, not at all)."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from functools import cache

from ..._compat import uvicorn_loop_implementations
from ...errors import BackendError, ConflictingOptionsError
from ...options.readers.click import schema_from_click
from ...options.schema import InvalidValue, OptionSchema, ServerOption, Validator
from ...options.translation import TranslatedArgs
from ..asgi_handler import HANDLER_OPTIONS
from ..health_options import HEALTH_OPTIONS
from ..log_options import LOG_OPTIONS_WITH_ACCESS_FORMAT
from ..metrics_options import METRICS_OPTIONS
from ..sockets import parse_mode
from ..tls import TLSOptions

UDS_MODE = "uds-mode"
INSTALL_HINT = "pip install 'django-prodserver[uvicorn]'"
UVICORN_TLS = TLSOptions(
    certfile="ssl-certfile",
    keyfile="ssl-keyfile",
    ca_certs="ssl-ca-certs",
    ciphers="ssl-ciphers",
    password="ssl-keyfile-password",
)


@cache
def uvicorn_schema() -> OptionSchema:
    try:
        from uvicorn.main import main as uvicorn_command
    except ImportError as error:
        raise BackendError(
            ("BACKEND",), f"needs uvicorn, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    from uvicorn import config

    schema = schema_from_click(uvicorn_command, "uvicorn")
    return schema.with_checks(
        {
            "port": check_port,
            "loop": implementation_check("loop", uvicorn_loop_implementations()),
            "http": implementation_check("http", config.HTTP_PROTOCOLS),
            "ws": implementation_check("ws", config.WS_PROTOCOLS),
        }
    )


def mode_as_octal(value: object) -> object:
    """``0o660`` written in Python is the int 432: pass it on as the octal it was."""
    if isinstance(value, int) and not isinstance(value, bool):
        return oct(value)
    return value


def check_uds_mode(value: str) -> None:
    try:
        parse_mode(value)
    except ValueError:
        raise InvalidValue(
            f"{value!r} is not a file mode",
            "give octal permissions as a string, e.g. '660' (owner and group) or '0o600'",
        ) from None


def non_negative_whole_number(value: str) -> None:
    if not value.strip().isdigit():
        raise InvalidValue(
            f"{value!r} is not a whole number of 0 or more",
            "give a number such as '8190' (0: no limit)",
        )


#: gunicorn's request limits and their defaults, which the uvicorn backends apply too.
REQUEST_LIMITS = {
    "limit-request-line": (
        4094,
        "Largest request line in bytes; longer ones get 414 (0: no limit). As gunicorn's.",
    ),
    "limit-request-fields": (
        100,
        "Most header fields in a request; more get 431 (0: no limit). As gunicorn's.",
    ),
    "limit-request-field-size": (
        8190,
        "Largest header field in bytes; larger ones get 431 (0: no limit). As gunicorn's "
        "limit-request-field_size.",
    ),
}

HEAD_TIMEOUT = "request-head-timeout"
DEFAULT_HEAD_TIMEOUT = 10.0


def non_negative_seconds(value: str) -> None:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise InvalidValue(
            f"{value!r} is not a number of seconds", "give seconds such as '10' (0: no limit)"
        )


#: Options prodserver adds to uvicorn's own, for what uvicorn cannot be told.
PRODSERVER_UVICORN_OPTIONS = OptionSchema(
    "prodserver",
    [
        ServerOption(
            HEAD_TIMEOUT,
            takes_value=True,
            validate=non_negative_seconds,
            help="Seconds a client has to send a whole request head (from its first byte, or "
            "from connecting); then the connection is closed, so that slow clients cannot "
            "hold connections for ever (0: no limit). Default 10.",
        ),
        *(
            ServerOption(
                name,
                takes_value=True,
                validate=non_negative_whole_number,
                aliases=("limit-request-field_size",) if name.endswith("field-size") else (),
                help=text,
            )
            for name, (_, text) in REQUEST_LIMITS.items()
        ),
        ServerOption(
            UDS_MODE,
            takes_value=True,
            validate=check_uds_mode,
            convert=mode_as_octal,
            help="File mode of the 'uds' socket, e.g. 660 so that only the owner and the "
            "group (nginx's) can connect; uvicorn's own default is 666.",
        ),
    ],
)


@cache
def uvicorn_schema_with_our_options() -> OptionSchema:
    ours = (
        PRODSERVER_UVICORN_OPTIONS.merged_with(HANDLER_OPTIONS, "prodserver")
        .merged_with(LOG_OPTIONS_WITH_ACCESS_FORMAT, "prodserver")
        .merged_with(HEALTH_OPTIONS, "prodserver")
        .merged_with(METRICS_OPTIONS, "prodserver")
    )
    return uvicorn_schema().merged_with(ours, "uvicorn")


def check_port(value: str) -> None:
    if not 0 <= int(value) <= 65535:
        raise InvalidValue(
            f"{value} is out of range (uvicorn would silently bind another port)",
            "use a port from 0 to 65535",
        )


def implementation_check(option: str, known: Mapping[str, str | None]) -> Validator:
    def check(value: str) -> None:
        if value not in known and ":" not in value:
            raise InvalidValue(
                f"{value!r} is not a uvicorn {option} implementation",
                "use one of "
                + ", ".join(repr(name) for name in known)
                + " or an import string 'module:attribute'",
            )
        _check_importable(option, value, known.get(value, value))

    return check


def _check_importable(option: str, value: str, import_string: str | None) -> None:
    if import_string is None:
        return
    from uvicorn.importer import ImportFromStringError, import_from_string

    try:
        import_from_string(import_string)
    except (ImportError, ImportFromStringError) as error:
        raise InvalidValue(
            f"{option} {value!r} cannot be loaded ({error})",
            f"install what it needs ({INSTALL_HINT}) or choose another {option}",
        ) from error


def check_uvicorn_combination(translated: TranslatedArgs) -> None:
    """Checks across options: reload with workers, and uds-mode without uds."""
    values = translated.values
    workers = int(str(values.get("workers", "1")))
    if values.get("reload") is True and workers > 1:
        raise ConflictingOptionsError(
            translated.where("workers"),
            f"{workers} workers cannot run with reload (uvicorn would ignore workers)",
            "remove 'reload' for production, or 'workers' for development",
        )
    if UDS_MODE in values and not values.get("uds"):
        raise ConflictingOptionsError(
            translated.where(UDS_MODE),
            "sets the mode of the 'uds' socket file, and no 'uds' is set",
            "add 'uds': '/run/<service>/web.sock', or remove 'uds-mode'",
        )


AUTO_CHOICES = {"loop": ("uvloop", "asyncio"), "http": ("httptools", "h11")}


def implementation(option: str, value: str) -> str:
    """What ``auto`` will pick: the fast implementation when its package is installed."""
    if value != "auto":
        return value
    fast, fallback = AUTO_CHOICES[option]
    return fast if importlib.util.find_spec(fast) is not None else fallback
