"""Turn a process's ``ARGS`` dict into the program's command-line arguments, once.

With a schema (read from the program itself) every key and value is checked the way
the program's own parser would check it, and the arguments come out grouped by the
component that owns each option. Without one (a custom backend that declares none) the
rules are the plain ones: ``--key=value``, ``None`` a bare flag, a list repeats, ``True``
a bare flag and ``False`` nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ..errors import ConflictingOptionsError, InvalidValueError, UnknownOptionError
from .schema import InvalidValue, OptionSchema, ServerOption, normalise_key

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})

OptionValue = bool | str | list[str]
#: Not in a command-line value: C0 and C1 controls and the Unicode line and paragraph
#: separators, every character ``str.splitlines()`` breaks at, so no value can turn one
#: printed command into two lines. A tab is allowed (a tab-separated access log format).
CONTROL_CHARACTERS = frozenset(
    chr(code) for code in [*range(32), *range(127, 160), 0x2028, 0x2029]
) - {"\t"}
#: Larger ints are no option's value (and Python will not print one of 4,300 digits).
MAX_INT_BITS = 256


@dataclass
class TranslatedArgs:
    """The argv, grouped by the component that owns each option, and what each option
    ended up as (keyed by option name) for the backend's own checks."""

    argv: list[str] = field(default_factory=list)
    values: dict[str, OptionValue] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    by_owner: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, ServerOption] = field(default_factory=dict)

    def argv_of(self, owner: str) -> list[str]:
        """The arguments for options ``owner`` reads, in ARGS order."""
        return list(self.by_owner.get(owner, []))

    def where(self, option_name: str) -> tuple[str, ...]:
        """The ARGS path of the key that set ``option_name``."""
        return ("ARGS", self.keys.get(option_name, option_name))

    def add(self, option: ServerOption, argument: str) -> None:
        self.argv.append(argument)
        self.by_owner.setdefault(option.owner, []).append(argument)

    def add_positionals(self, positionals: list[tuple[ServerOption, str]]) -> None:
        """Positional arguments go after every option, where any parser reads them as such."""
        if positionals:
            self.argv.append("--")
        for option, text in positionals:
            self.add(option, text)


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
    positionals: list[tuple[ServerOption, str]] = []
    for key, value in args.items():
        if not isinstance(key, str):
            raise UnknownOptionError(
                ("ARGS", repr(key)), "option names must be strings", "write the key as a string"
            )
        where = ("ARGS", key)
        refusal = schema.refusal(key)
        if refusal is not None:
            raise UnknownOptionError(where, refusal.problem, refusal.fix)
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
        result.options[option.name] = option
        try:
            if option.takes_value:
                _add_value_option(result, option, option.convert(value), positionals)
            else:
                _add_flag(result, option, value, lookup.negated, key)
        except InvalidValue as invalid:
            raise InvalidValueError(where, invalid.problem, invalid.fix) from invalid
    result.add_positionals(positionals)
    return result


def check_on_machine(translated: TranslatedArgs) -> None:
    """The checks of each given option that depend on this machine (paths that must exist)."""
    for name, option in translated.options.items():
        if option.check_on_machine is None or name not in translated.values:
            continue
        value = translated.values[name]
        try:
            for text in value if isinstance(value, list) else [str(value)]:
                option.check_on_machine(text)
        except InvalidValue as invalid:
            raise InvalidValueError(
                translated.where(name), invalid.problem, invalid.fix
            ) from invalid


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
            f"{_shown(value)} is not a boolean ({option.cli(negated)} is an on/off flag)",
            f"use True or False, e.g. '{key}': 'True'",
        )
    enabled = wanted != negated
    result.values[option.name] = enabled
    if enabled:
        result.add(option, option.cli())
    elif option.negative:
        result.add(option, option.cli(negated=True))


def _add_value_option(
    result: TranslatedArgs,
    option: ServerOption,
    value: object,
    positionals: list[tuple[ServerOption, str]],
) -> None:
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
        if option.positional:
            positionals.append((option, text))
        else:
            result.add(option, f"{option.cli()}={text}")
    result.values[option.name] = texts if option.multiple else texts[0]


def _as_text(option: ServerOption, value: object) -> str:
    if value is None:
        raise InvalidValue(
            f"{option.cli()} needs a value, and None means a bare flag",
            f"give {option.cli()} a value or remove the key",
        )
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise InvalidValue(
            f"a {value.bit_length()}-bit number is too large for {option.cli()}",
            "give a number in the range the option takes",
        )
    if isinstance(value, str | int | float | PurePath):
        return _without_control_characters(str(value))
    raise InvalidValue(
        f"a {type(value).__name__} is not a valid value for {option.cli()}",
        "use a string or a number",
    )


def _without_control_characters(text: str) -> str:
    """A value on a command line is one line of text: a NUL cannot be passed at all, and a
    line break or other control character in an option's value is a mistake (pasted from a
    file, or a header value that would split the response). Tabs are allowed."""
    if "\0" in text:
        raise InvalidValue(
            f"{_shown(text)} contains a NUL character, which no command-line argument can",
            "remove it",
        )
    control = next((char for char in text if char in CONTROL_CHARACTERS), None)
    if control is not None:
        raise InvalidValue(
            f"{_shown(text)} contains the control character {control!r}",
            "write the value on one line, without control characters",
        )
    return text


def _shown(value: object, limit: int = 80) -> str:
    """``repr(value)``, shortened: a message quotes a value, it does not reprint it."""
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        return f"a {value.bit_length()}-bit number"
    try:
        text = repr(value)
    except ValueError:  # a container holding an int too long to print
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


def _translate_without_schema(args: Mapping[str, Any]) -> TranslatedArgs:
    result = TranslatedArgs()
    for key, value in args.items():
        name = str(key).lstrip("-")
        option = ServerOption(name, takes_value=True)
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if isinstance(item, str):
                try:
                    _without_control_characters(item)
                except InvalidValue as invalid:
                    raise InvalidValueError(
                        ("ARGS", str(key)), invalid.problem, invalid.fix
                    ) from invalid
            if item is None or item is True:
                result.add(option, f"--{name}")
            elif item is not False:
                result.add(option, f"--{name}={item}")
        result.keys[name] = str(key)
    return result
