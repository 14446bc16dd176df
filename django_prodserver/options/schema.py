"""A program's command-line options, as read from the program itself: the one source of
truth for which ``ARGS`` keys exist, what values they take, which keys are refused (with
the advice to give instead), and which component of the process each option is for."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace


class InvalidValue(ValueError):
    """A value the program would reject: ``problem`` says why, ``fix`` what to write instead."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


Validator = Callable[[str], None]
#: Turns a Python value from ARGS into the value to write (``0o660`` -> ``'0o660'``).
Converter = Callable[[object], object]


def accept_any(value: str) -> None:
    return None


def unchanged(value: object) -> object:
    return value


@dataclass(frozen=True)
class ServerOption:
    """One option. ``name`` is its long CLI name without dashes (``log-level``).

    A flag takes no value. ``negative`` is the opposite flag where the program has one
    (``no-access-log``). ``multiple`` options may be repeated. ``owner`` names the component
    that reads the option (``uvicorn``, ``gunicorn``, ``prodserver``), so that a backend
    running several of them hands each its own arguments.

    A ``positional`` option is one of the program's positional arguments.

    ``validate`` runs wherever the setting is checked; ``check_on_machine`` (a path that
    must exist, say) only where the process is about to run: ``prodserver`` and
    ``check --deploy``, so that ``migrate`` on a build machine is not blocked by a file
    that exists only in production.
    """

    name: str
    takes_value: bool
    negative: str | None = None
    multiple: bool = False
    validate: Validator = accept_any
    check_on_machine: Validator | None = None
    convert: Converter = unchanged
    aliases: tuple[str, ...] = ()
    help: str = ""
    owner: str = ""
    #: A positional argument of the program (a management command's queue names), given
    #: in ARGS under its name and passed as bare values after the options.
    positional: bool = False

    def cli(self, negated: bool = False) -> str:
        if self.positional:
            return f"the argument {self.name.upper()}"
        return f"--{self.negative if negated else self.name}"


@dataclass(frozen=True)
class Refusal:
    """An ``ARGS`` key the program knows but this backend does not take, and what to use."""

    problem: str
    fix: str


@dataclass(frozen=True)
class OptionLookup:
    option: ServerOption
    negated: bool


@dataclass
class OptionSchema:
    """Every option of one program, found by any of its spellings, and the keys it refuses."""

    server: str
    options: list[ServerOption]
    refused: Mapping[str, Refusal] = field(default_factory=dict)
    #: Where keys this schema does not know are looked up, loaded only when one is: options
    #: that are costly to read and rarely given (Celery's own, beside its worker's).
    fallback: Callable[[], OptionSchema] | None = field(default=None, compare=False)
    _by_key: dict[str, OptionLookup] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.options = [
            option if option.owner else replace(option, owner=self.server)
            for option in self.options
        ]
        self.refused = {normalise_key(key): refusal for key, refusal in self.refused.items()}
        self._by_key = {}
        for option in self.options:
            for spelling in (option.name, *option.aliases):
                self._by_key.setdefault(
                    normalise_key(spelling), OptionLookup(option, negated=False)
                )
            if option.negative:
                self._by_key[normalise_key(option.negative)] = OptionLookup(option, negated=True)

    def lookup(self, key: str) -> OptionLookup | None:
        found = self._by_key.get(normalise_key(key))
        if found is None and self.fallback is not None and not self.refusal(key):
            return self.fallback().lookup(key)
        return found

    def refusal(self, key: str) -> Refusal | None:
        normalised = normalise_key(key)
        refused = self.refused.get(normalised)
        if refused is None and normalised not in self._by_key and self.fallback is not None:
            return self.fallback().refusal(key)
        return refused

    def suggestions(self, key: str) -> list[str]:
        close = difflib.get_close_matches(normalise_key(key), list(self._by_key), n=1, cutoff=0.6)
        if not close and self.fallback is not None:
            return self.fallback().suggestions(key)
        return close

    def with_fallback(self, fallback: Callable[[], OptionSchema]) -> OptionSchema:
        """The same schema, looking up the keys it does not know in ``fallback()``."""
        return OptionSchema(self.server, self.options, self.refused, fallback)

    def names(self) -> list[str]:
        return [option.name for option in self.options]

    def with_checks(self, checks: Mapping[str, Validator]) -> OptionSchema:
        """The same schema, with ``checks[name]`` run after that option's own validation."""
        return self._replaced(
            {
                name: {"validate": _chain(self._option(name).validate, check)}
                for name, check in checks.items()
            }
        )

    def with_aliases(self, aliases: Mapping[str, tuple[str, ...]]) -> OptionSchema:
        """The same schema, ``aliases[name]`` also naming that option (another spelling of
        it the program has, such as its Python API's)."""
        return self._replaced(
            {
                name: {"aliases": (*self._option(name).aliases, *more)}
                for name, more in aliases.items()
            }
        )

    def refusing(self, refused: Mapping[str, Refusal]) -> OptionSchema:
        """The same schema without the options in ``refused``, which now give that advice."""
        normalised = {normalise_key(key): refusal for key, refusal in refused.items()}
        return OptionSchema(
            self.server,
            [option for option in self.options if option.name not in normalised],
            {**self.refused, **normalised},
        )

    def without(self, names: Iterable[str]) -> OptionSchema:
        dropped = set(names)
        return OptionSchema(
            self.server, [o for o in self.options if o.name not in dropped], self.refused
        )

    def merged_with(self, other: OptionSchema, server: str) -> OptionSchema:
        """This schema's options and refusals first, then ``other``'s under names not taken."""
        mine = set(self.names())
        return OptionSchema(
            server,
            self.options + [o for o in other.options if o.name not in mine],
            {**other.refused, **self.refused},
        )

    def _option(self, name: str) -> ServerOption:
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(f"{self.server} has no option {name!r}")

    def _replaced(self, changes: Mapping[str, dict[str, object]]) -> OptionSchema:
        for name in changes:
            self._option(name)
        return OptionSchema(
            self.server,
            [
                replace(option, **changes[option.name]) if option.name in changes else option  # type: ignore[arg-type]
                for option in self.options
            ],
            self.refused,
        )


def _chain(first: Validator, then: Validator) -> Validator:
    def validate(value: str) -> None:
        first(value)
        then(value)

    return validate


def normalise_key(key: str) -> str:
    """``--log_level``, ``log_level`` and ``log-level`` all name ``log-level``."""
    return key.strip().lstrip("-").replace("_", "-")
