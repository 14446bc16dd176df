"""Turn a process's ``ARGS`` dict into the server's command-line arguments.

With a schema (read from the server itself) every key and value is checked the way
the server's own parser would check it. Without one (a custom backend that declares
none) the rules are the plain ones: ``--key=value``, ``None`` a bare flag, a list
repeats, ``True`` a bare flag and ``False`` nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from .errors import (
    ConflictingOptionsError,
    InvalidValueError,
    UnknownOptionError,
)
from .options import InvalidValue, OptionSchema, ServerOption, normalise_key

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})

OptionValue = bool | str | list[str]


@dataclass
class TranslatedArgs:
    """The argv, and what each option ended up as (keyed by option name) for later checks."""

    argv: list[str] = field(default_factory=list)
    values: dict[str, OptionValue] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    argv_by_key: dict[str, list[str]] = field(default_factory=dict)

    def argv_for(self, keys: list[str]) -> list[str]:
        """The arguments those ARGS keys became, in ARGS order."""
        return [argument for key in keys for argument in self.argv_by_key.get(key, [])]

    def where(self, option_name: str) -> tuple[str, ...]:
        """The ARGS path of the key that set ``option_name``."""
        return ("ARGS", self.keys.get(option_name, option_name))


def parse_bool(value: object) -> bool | None:
    """True, False, or None when ``value`` is not a recognisable boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


def translate(args: Mapping[str, Any], schema: OptionSchema | None) -> TranslatedArgs:
    if schema is None:
        return _translate_without_schema(args)
    result = TranslatedArgs()
    for key, value in args.items():
        if not isinstance(key, str):
            raise UnknownOptionError(
                ("ARGS", repr(key)), "option names must be strings", "write the key as a string"
            )
        where = ("ARGS", key)
        lookup = schema.lookup(key)
        if lookup is None:
            raise _unknown_key(where, key, schema)
        option = lookup.option
        if option.name in result.keys:
            raise ConflictingOptionsError(
                where,
                f"sets {option.cli()} again (already set by {result.keys[option.name]!r})",
                "keep only one of the two keys",
            )
        result.keys[option.name] = key
        before = len(result.argv)
        try:
            if option.takes_value:
                _add_value_option(result, option, value)
            else:
                _add_flag(result, option, value, lookup.negated, key)
        except InvalidValue as invalid:
            raise InvalidValueError(where, invalid.problem, invalid.fix) from invalid
        result.argv_by_key[key] = result.argv[before:]
    return result


def _unknown_key(where: tuple[str, ...], key: str, schema: OptionSchema) -> UnknownOptionError:
    suggestion = schema.suggestions(key)
    fix = (
        f"did you mean {suggestion[0]!r}?"
        if suggestion
        else f"see `{schema.server} --help` for the options it takes"
    )
    return UnknownOptionError(where, f"{schema.server} has no option --{normalise_key(key)}", fix)


def _add_flag(
    result: TranslatedArgs, option: ServerOption, value: object, negated: bool, key: str
) -> None:
    wanted = True if value is None else parse_bool(value)
    if wanted is None:
        raise InvalidValue(
            f"{value!r} is not a boolean ({option.cli(negated)} is an on/off flag)",
            f"use True or False, e.g. '{key}': 'True'",
        )
    enabled = wanted != negated
    result.values[option.name] = enabled
    if enabled:
        result.argv.append(option.cli())
    elif option.negative:
        result.argv.append(option.cli(negated=True))


def _add_value_option(result: TranslatedArgs, option: ServerOption, value: object) -> None:
    if isinstance(value, list | tuple):
        if not option.multiple:
            raise InvalidValue(f"{option.cli()} takes one value, not a list", "give a single value")
        if not value:
            raise InvalidValue("is an empty list", f"remove the key or give {option.cli()} a value")
        texts = [_as_text(option, item) for item in value]
    else:
        texts = [_as_text(option, value)]
    for text in texts:
        option.validate(text)
        result.argv.append(f"{option.cli()}={text}")
    result.values[option.name] = texts if option.multiple else texts[0]


def _as_text(option: ServerOption, value: object) -> str:
    if value is None:
        raise InvalidValue(
            f"{option.cli()} needs a value, and None means a bare flag",
            f"give {option.cli()} a value or remove the key",
        )
    if isinstance(value, str | int | float | PurePath) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    raise InvalidValue(
        f"a {type(value).__name__} is not a valid value for {option.cli()}",
        "use a string or a number",
    )


def _translate_without_schema(args: Mapping[str, Any]) -> TranslatedArgs:
    result = TranslatedArgs()
    for key, value in args.items():
        name = str(key).lstrip("-")
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None or item is True:
                result.argv.append(f"--{name}")
            elif item is not False:
                result.argv.append(f"--{name}={item}")
        result.keys[name] = str(key)
    return result
