"""One-off command-line overrides: ``prodserver web -- --port 9001 --workers 2``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError
from .redaction import redacted
from .schema import OptionSchema, normalise_key


def parse_overrides(tokens: list[str], schema: OptionSchema | None) -> dict[str, Any]:
    """Server options as they are written on that server's command line, as ARGS entries.

    Keys keep their dashes (``--port``), so an error names what was typed. With a schema,
    ``--port 9001`` and ``--port=9001`` are the same and flags take no value; without one, a
    token that does not start with ``--`` is the previous option's value.
    """
    parsed: dict[str, Any] = {}
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if not token.startswith("--") or token == "--":
            raise ConfigurationError(
                (),
                f"override {redacted([token])[0]!r} is not an option",
                "write overrides as server options after '--', e.g. -- --port 9001",
                setting="prodserver",
            )
        key, equals, value = token.partition("=")
        if not equals:
            lookup = schema.lookup(key) if schema else None
            wants_value = lookup.option.takes_value if lookup else True
            next_is_value = position < len(tokens) and not tokens[position].startswith("--")
            if wants_value and next_is_value:
                value = tokens[position]
                position += 1
            elif wants_value and lookup:
                raise ConfigurationError(
                    (),
                    f"override {key} needs a value",
                    f"give it one, e.g. {key} VALUE or {key}=VALUE",
                    setting="prodserver",
                )
            else:
                parsed[key] = None
                continue
        existing = parsed.get(key)
        if key in parsed and schema and (found := schema.lookup(key)) and found.option.multiple:
            parsed[key] = [*(existing if isinstance(existing, list) else [existing]), value]
        else:
            parsed[key] = value
    return parsed


def with_overrides(
    args: Mapping[str, Any], overrides: Mapping[str, Any], schema: OptionSchema | None
) -> dict[str, Any]:
    """ARGS with each overridden option replaced, whichever spelling either side used."""

    def option_of(key: str) -> str:
        lookup = schema.lookup(key) if schema else None
        return lookup.option.name if lookup else normalise_key(key)

    overridden = {option_of(key) for key in overrides}
    kept = {key: value for key, value in args.items() if option_of(str(key)) not in overridden}
    return {**kept, **overrides}
