"""The argparse reader: a schema from a real Django management command's parser, and from a
parser using each kind of argparse action, checked by translating ARGS through it."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from django.core.management import load_command_class

from django_prodserver.errors import ConfigurationError
from django_prodserver.options.readers.argparse import schema_from_argparse
from django_prodserver.options.schema import OptionSchema
from django_prodserver.options.translation import translate


def migrate_schema() -> OptionSchema:
    command = load_command_class("django.core", "migrate")
    return schema_from_argparse(command.create_parser("manage.py", "migrate"), "migrate")


def sample_schema() -> OptionSchema:
    parser = argparse.ArgumentParser(prog="sample")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--level", choices=["debug", "info"])
    parser.add_argument("--queue", action="append")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--colour", action=argparse.BooleanOptionalAction)
    parser.add_argument("-q", "--quiet", action="count")
    parser.add_argument("positional")
    return schema_from_argparse(parser, "sample")


def test_a_django_commands_own_options() -> None:
    schema = migrate_schema()
    assert {"database", "noinput", "fake", "plan", "run-syncdb", "settings"} <= set(schema.names())
    assert "help" not in schema.names()
    assert translate({"noinput": True, "database": "default"}, schema).argv == [
        "--noinput",
        "--database=default",
    ]


def test_django_commands_verbosity_is_checked_with_its_own_type_and_choices() -> None:
    schema = migrate_schema()
    assert translate({"verbosity": 2}, schema).argv == ["--verbosity=2"]
    with pytest.raises(ConfigurationError) as caught:
        translate({"verbosity": "5"}, schema)
    assert caught.value.problem == "'5' is not one of the choices of --verbosity"


@pytest.mark.parametrize(
    ("args", "argv"),
    [
        ({"workers": "4"}, ["--workers=4"]),
        ({"level": "info"}, ["--level=info"]),
        ({"queue": ["high", "low"]}, ["--queue=high", "--queue=low"]),
        ({"verbose": True}, ["--verbose"]),
        ({"colour": False}, ["--no-colour"]),
        ({"no-colour": True}, ["--no-colour"]),
        ({"quiet": True}, ["--quiet"]),
        ({"positional": "x", "quiet": True}, ["--quiet", "--", "x"]),
    ],
)
def test_each_kind_of_action(args: dict[str, Any], argv: list[str]) -> None:
    assert translate(args, sample_schema()).argv == argv


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"workers": "four"}, "'four' is not a valid int for --workers"),
        ({"level": "loud"}, "'loud' is not one of the choices of --level"),
        ({"level": ["info", "debug"]}, "--level takes one value, not a list"),
        ({"positional": ["a", "b"]}, "the argument POSITIONAL takes one value, not a list"),
    ],
)
def test_values_the_parser_would_reject(args: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        translate(args, sample_schema())
    assert caught.value.problem.startswith(problem)
