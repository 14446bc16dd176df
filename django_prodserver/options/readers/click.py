"""Read an OptionSchema from a click command, validating values with click's own types."""

from __future__ import annotations

import os
from typing import Any

import click

from ..schema import InvalidValue, OptionSchema, ServerOption, Validator, accept_any


def schema_from_click(command: click.Command, server: str, obj: Any = None) -> OptionSchema:
    """``obj`` is the context object the program's own parameter types expect (Celery's
    read its app from it)."""
    context = click.Context(command, info_name=server, obj=obj)
    options = [
        _server_option(param, context)
        for param in command.params
        if isinstance(param, click.Option) and param.expose_value
    ]
    return OptionSchema(server, options)


def _long_names(opts: list[str]) -> list[str]:
    return [opt[2:] for opt in opts if opt.startswith("--")]


def _server_option(param: click.Option, context: click.Context) -> ServerOption:
    names = _long_names(param.opts)
    negatives = _long_names(param.secondary_opts)
    takes_value = not (param.is_flag or param.count)
    validator = _validator(param, context, names[0]) if takes_value else accept_any
    # A path is checked against the files of the machine the process runs on, not of
    # every machine that runs `manage.py check` (a CI job, a migration container).
    on_machine = isinstance(param.type, click.Path)
    return ServerOption(
        name=names[0],
        aliases=tuple(names[1:]),
        takes_value=takes_value,
        negative=negatives[0] if negatives else None,
        multiple=param.multiple,
        validate=accept_any if on_machine else validator,
        check_on_machine=validator if on_machine else None,
        help=param.help or "",
    )


def _validator(param: click.Option, context: click.Context, name: str) -> Validator:
    def validate(value: str) -> None:
        try:
            param.type.convert(value, param, context)
        except click.BadParameter as error:
            raise InvalidValue(error.message.rstrip("."), _fix_for(param.type, name)) from error
        except ImportError as error:  # a choice that loads a module (Celery's gevent pool)
            raise InvalidValue(
                f"{value!r} needs a module that cannot be imported ({error})",
                "install what it needs, or choose another value",
            ) from error

    return validate


def _fix_for(param_type: click.ParamType[Any], name: str) -> str:
    if isinstance(param_type, click.types._NumberRangeBase):
        return f"give --{name} a number in the range {param_type._describe_range()}"
    if isinstance(param_type, click.Choice):
        return "use one of " + ", ".join(repr(str(choice)) for choice in param_type.choices)
    if isinstance(param_type, click.types.IntParamType):
        return f"give --{name} a whole number, e.g. '{name}': '10'"
    if isinstance(param_type, click.types.FloatParamType):
        return f"give --{name} a number, e.g. '{name}': '0.5'"
    if isinstance(param_type, click.types.BoolParamType):
        return "use True or False"
    if isinstance(param_type, click.Path):
        return f"give an existing path (relative paths start from {os.getcwd()})"
    return f"see `--help` for what --{name} accepts"
