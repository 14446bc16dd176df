"""A server's command-line options, as read from the server itself."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace


class InvalidValue(ValueError):
    """A value the server would reject: ``problem`` says why, ``fix`` what to write instead."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


Validator = Callable[[str], None]


def accept_any(value: str) -> None:
    return None


@dataclass(frozen=True)
class ServerOption:
    """One option. ``name`` is its long CLI name without dashes (``log-level``).

    A flag takes no value. ``negative`` is the opposite flag where the server has one
    (``no-access-log``). ``multiple`` options may be repeated.
    """

    name: str
    takes_value: bool
    negative: str | None = None
    multiple: bool = False
    validate: Validator = accept_any
    aliases: tuple[str, ...] = ()
    help: str = ""

    def cli(self, negated: bool = False) -> str:
        return f"--{self.negative if negated else self.name}"


@dataclass(frozen=True)
class OptionLookup:
    option: ServerOption
    negated: bool


@dataclass
class OptionSchema:
    """Every option of one server, found by any of its spellings."""

    server: str
    options: list[ServerOption]
    _by_key: dict[str, OptionLookup] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {}
        for option in self.options:
            for spelling in (option.name, *option.aliases):
                self._by_key.setdefault(
                    normalise_key(spelling), OptionLookup(option, negated=False)
                )
            if option.negative:
                self._by_key[normalise_key(option.negative)] = OptionLookup(option, negated=True)

    def lookup(self, key: str) -> OptionLookup | None:
        return self._by_key.get(normalise_key(key))

    def suggestions(self, key: str) -> list[str]:
        return difflib.get_close_matches(normalise_key(key), list(self._by_key), n=1, cutoff=0.6)

    def names(self) -> list[str]:
        return [option.name for option in self.options]

    def with_checks(self, checks: Mapping[str, Validator]) -> OptionSchema:
        """The same schema, with ``checks[name]`` run after that option's own validation."""
        return OptionSchema(
            self.server,
            [
                replace(option, validate=_chain(option.validate, checks[option.name]))
                if option.name in checks
                else option
                for option in self.options
            ],
        )

    def without(self, names: Iterable[str]) -> OptionSchema:
        dropped = set(names)
        return OptionSchema(self.server, [o for o in self.options if o.name not in dropped])

    def merged_with(self, other: OptionSchema, server: str) -> OptionSchema:
        mine = set(self.names())
        return OptionSchema(server, self.options + [o for o in other.options if o.name not in mine])


def _chain(first: Validator, then: Validator) -> Validator:
    def validate(value: str) -> None:
        first(value)
        then(value)

    return validate


def normalise_key(key: str) -> str:
    """``--log_level``, ``log_level`` and ``log-level`` all name ``log-level``."""
    return key.strip().lstrip("-").replace("_", "-")
