"""gunicorn's options, read from its own settings registry and checked with its own validators."""

from __future__ import annotations

from functools import cache
from typing import Any

from .errors import BackendError
from .options import InvalidValue, OptionSchema, ServerOption, Validator

INSTALL_HINT = "pip install 'django-prodserver[gunicorn]'"
FLAG_ACTIONS = ("store_true", "store_const")


@cache
def gunicorn_schema() -> OptionSchema:
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError as error:
        raise BackendError(
            ("BACKEND",), f"needs gunicorn, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    options = [_server_option(setting) for setting in KNOWN_SETTINGS if _long_names(setting)]
    return OptionSchema("gunicorn", options).with_checks(
        {"bind": check_bind, "worker-class": check_worker_class}
    )


@cache
def settings_without_a_command_line_option() -> frozenset[str]:
    """Settings only a gunicorn config file can set (hooks, ``logconfig_dict``, ...)."""
    from gunicorn.config import KNOWN_SETTINGS

    return frozenset(
        spelling
        for setting in KNOWN_SETTINGS
        if not _long_names(setting)
        for spelling in (setting.name, setting.name.replace("_", "-"))
    )


def _long_names(setting: Any) -> list[str]:
    return [cli[2:] for cli in setting.cli or () if cli.startswith("--")]


def _server_option(setting: Any) -> ServerOption:
    names = _long_names(setting)
    aliases = list(names[1:])
    if not names[0].startswith("no-") and setting.name not in names:
        aliases.append(setting.name)
    takes_value = setting.action not in FLAG_ACTIONS
    return ServerOption(
        name=names[0],
        aliases=tuple(aliases),
        takes_value=takes_value,
        multiple=setting.action == "append",
        validate=_validator(setting, names[0]),
        help=setting.short or "",
    )


def _validator(setting: Any, name: str) -> Validator:
    convert = setting.type if setting.type is not None and setting.action is None else None

    def validate(value: str) -> None:
        try:
            converted = convert(value) if convert else value
            setting.validator([converted] if setting.action == "append" else converted)
        except Exception as error:
            raise InvalidValue(
                f"{value!r} is not valid for --{name} ({error})",
                f"give --{name} a whole number"
                if convert
                else f"see `gunicorn --help` for what --{name} accepts",
            ) from error

    return validate


def check_bind(value: str) -> None:
    from gunicorn.util import parse_address

    try:
        address = parse_address(value)
    except Exception as error:
        raise InvalidValue(
            f"{value!r} is not an address gunicorn can bind ({error})",
            "use 'HOST:PORT', '[IPv6]:PORT', 'unix:/path/to.sock' or 'fd://N'",
        ) from error
    if isinstance(address, tuple) and not 0 <= int(address[1]) <= 65535:
        raise InvalidValue(f"port {address[1]} is out of range", "use a port from 0 to 65535")


def check_worker_class(value: str) -> None:
    from gunicorn.util import load_class

    try:
        load_class(value, section="gunicorn.workers")
    except Exception as error:
        message = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
        raise InvalidValue(
            f"worker class {value!r} cannot be loaded ({message})",
            "use one of gunicorn's workers ('sync', 'gthread', ...) or an importable class path",
        ) from error
