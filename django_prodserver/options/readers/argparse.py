"""Read an OptionSchema from an argparse parser (a Django management command's, say),
validating values with the parser's own ``type`` and ``choices``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from ..schema import InvalidValue, OptionSchema, ServerOption, Validator, accept_any

#: Actions that take no value on the command line.
FLAG_ACTIONS = (
    argparse._StoreTrueAction,
    argparse._StoreFalseAction,
    argparse._StoreConstAction,
    argparse._CountAction,
    argparse.BooleanOptionalAction,
)
#: Actions that are not options of the program (``--help``, ``--version``).
IGNORED_ACTIONS = (argparse._HelpAction, argparse._VersionAction)
REPEATABLE_ACTIONS = (argparse._AppendAction, argparse._ExtendAction, argparse._CountAction)


def schema_from_argparse(parser: argparse.ArgumentParser, program: str) -> OptionSchema:
    """Every long option of ``parser``, and its positional arguments under their names
    (``addrport``), which go after the options."""
    options = [
        _server_option(action)
        for action in parser._actions
        if action.option_strings
        and not isinstance(action, IGNORED_ACTIONS)
        and _long_names(action.option_strings)
    ]
    positionals = [
        _positional(action)
        for action in parser._actions
        if not action.option_strings and action.nargs != argparse.SUPPRESS
    ]
    return OptionSchema(program, options + positionals)


def _positional(action: argparse.Action) -> ServerOption:
    metavar = action.metavar if isinstance(action.metavar, str) else None
    names = [
        action.dest,
        *([metavar.lower()] if metavar and metavar.lower() != action.dest else []),
    ]
    return ServerOption(
        name=names[0],
        aliases=tuple(names[1:]),
        takes_value=True,
        multiple=action.nargs in ("*", "+", argparse.REMAINDER) or isinstance(action.nargs, int),
        validate=_validator(action, names[0].upper()),
        help=(action.help or "") if action.help != argparse.SUPPRESS else "",
        positional=True,
    )


def _long_names(option_strings: Sequence[str]) -> list[str]:
    return [text[2:] for text in option_strings if text.startswith("--")]


def _server_option(action: argparse.Action) -> ServerOption:
    names = _long_names(action.option_strings)
    negative = None
    if isinstance(action, argparse.BooleanOptionalAction):
        negative = next((name for name in names if name.startswith("no-")), None)
        names = [name for name in names if name != negative]
    takes_value = not isinstance(action, FLAG_ACTIONS)
    return ServerOption(
        name=names[0],
        aliases=tuple(names[1:]),
        takes_value=takes_value,
        negative=negative,
        multiple=isinstance(action, REPEATABLE_ACTIONS) and takes_value,
        validate=_validator(action, f"--{names[0]}") if takes_value else accept_any,
        help=(action.help or "") if action.help != argparse.SUPPRESS else "",
    )


def _validator(action: argparse.Action, shown: str) -> Validator:
    def validate(value: str) -> None:
        converted: Any = value
        if callable(action.type):
            try:
                converted = action.type(value)
            except (ValueError, TypeError, argparse.ArgumentTypeError) as error:
                kind = getattr(action.type, "__name__", "value")
                raise InvalidValue(
                    f"{value!r} is not a valid {kind} for {shown} ({error})",
                    f"see `--help` for what {shown} accepts",
                ) from error
        if action.choices is not None and converted not in action.choices:
            raise InvalidValue(
                f"{value!r} is not one of the choices of {shown}",
                "use one of " + ", ".join(repr(str(choice)) for choice in action.choices),
            )

    return validate
