"""Every ARGS translation rule, against uvicorn's real option schema."""

from __future__ import annotations

from typing import Any

import click
import pytest

from django_prodserver.backends.uvicorn.schema import uvicorn_schema
from django_prodserver.click_schema import schema_from_click
from django_prodserver.errors import ConfigurationError
from django_prodserver.options.translation import check_on_machine, translate


def argv(args: dict[str, Any]) -> list[str]:
    return translate(args, uvicorn_schema()).argv


def error_for(args: dict[str, Any]) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        check_on_machine(translate(args, uvicorn_schema()))
    return caught.value


def test_values_become_long_options_with_equals() -> None:
    assert argv({"host": "0.0.0.0", "port": "8000", "workers": "4", "log-level": "info"}) == [
        "--host=0.0.0.0",
        "--port=8000",
        "--workers=4",
        "--log-level=info",
    ]


@pytest.mark.parametrize("key", ["log-level", "log_level", "--log-level", "--log_level"])
def test_keys_accept_dashes_or_underscores(key: str) -> None:
    assert argv({key: "debug"}) == ["--log-level=debug"]


@pytest.mark.parametrize("value", [True, "True", "true", "1", "yes", "on", 1, None])
def test_true_flag_gives_the_flag(value: object) -> None:
    assert argv({"reload": value}) == ["--reload"]
    assert argv({"access-log": value}) == ["--access-log"]


@pytest.mark.parametrize("value", [False, "False", "false", "0", "no", "off", 0])
def test_false_flag_gives_the_no_form_where_the_server_has_one(value: object) -> None:
    assert argv({"access-log": value}) == ["--no-access-log"]
    assert argv({"proxy-headers": value}) == ["--no-proxy-headers"]


def test_false_flag_without_a_no_form_is_left_out() -> None:
    assert argv({"reload": "False", "factory": False}) == []


def test_keys_with_the_no_prefix_work() -> None:
    assert argv({"no-access-log": "True"}) == ["--no-access-log"]
    assert argv({"no_use_colors": True}) == ["--no-use-colors"]
    assert argv({"no-access-log": "False"}) == ["--access-log"]
    assert argv({"no-access-log": None}) == ["--no-access-log"]


def test_a_list_repeats_the_option() -> None:
    assert argv({"header": ["X-A:1", "X-B:2"], "reload-include": ("*.html", "*.txt")}) == [
        "--header=X-A:1",
        "--header=X-B:2",
        "--reload-include=*.html",
        "--reload-include=*.txt",
    ]


def test_a_single_value_of_a_repeatable_option() -> None:
    assert argv({"header": "X-A:1"}) == ["--header=X-A:1"]


def test_numbers_are_stringified() -> None:
    assert argv({"port": 8000, "ws-ping-interval": 2.5}) == [
        "--port=8000",
        "--ws-ping-interval=2.5",
    ]


def test_boolean_valued_option_keeps_its_value() -> None:
    assert argv({"ws-per-message-deflate": False}) == ["--ws-per-message-deflate=False"]


def test_translated_values_are_kept_for_cross_checks() -> None:
    translated = translate({"workers": 4, "no-access-log": "True"}, uvicorn_schema())
    assert translated.values == {"workers": "4", "access-log": False}
    assert translated.where("access-log") == ("ARGS", "no-access-log")


def test_unknown_key_suggests_the_closest_option() -> None:
    error = error_for({"prot": "8000"})
    assert error.keys == ("ARGS", "prot")
    assert error.message == (
        "PRODUCTION_PROCESSES['ARGS']['prot']: uvicorn has no option --prot; did you mean 'port'?"
    )


def test_unknown_key_without_a_close_match_points_to_help() -> None:
    assert "see `uvicorn --help`" in error_for({"frobnicate-everything": "1"}).fix


@pytest.mark.parametrize(
    ("args", "problem", "fix"),
    [
        ({"port": "eighty"}, "'eighty' is not a valid integer", "whole number"),
        ({"workers": "4.5"}, "'4.5' is not a valid integer", "whole number"),
        ({"reload-delay": "soon"}, "'soon' is not a valid float", "give --reload-delay a number"),
        ({"log-level": "loud"}, "'loud' is not one of", "'info'"),
        ({"lifespan": "maybe"}, "'maybe' is not one of", "'on'"),
        ({"port": "99999"}, "99999 is out of range", "0 to 65535"),
        ({"port": "-1"}, "-1 is out of range", "0 to 65535"),
        ({"loop": "uvlop"}, "'uvlop' is not", "'uvloop'"),
        ({"http": "h2"}, "'h2' is not", "'httptools'"),
        ({"reload-dir": "/no/such/dir"}, "does not exist", "existing path"),
        ({"reload": "sometimes"}, "'sometimes' is not a boolean", "True or False"),
        ({"port": ["8000", "8001"]}, "takes one value, not a list", "single value"),
        ({"port": None}, "needs a value", "give --port a value"),
        ({"port": {"value": 1}}, "a dict is not a valid value", "string or a number"),
        ({"header": []}, "empty list", "remove the key"),
    ],
)
def test_values_the_server_would_reject(args: dict[str, Any], problem: str, fix: str) -> None:
    error = error_for(args)
    assert error.keys == ("ARGS", next(iter(args)))
    assert problem in error.problem
    assert fix in error.fix
    assert "\n" not in error.message


@pytest.mark.parametrize("key", ["reload-dir", "env-file", "log-config"])
def test_paths_are_checked_on_this_machine_only(key: str) -> None:
    """A path that exists only in production passes translation (so `migrate` on a build
    machine is not blocked) and fails the machine check `prodserver` runs."""
    translated = translate({key: "/only/in/production"}, uvicorn_schema())
    assert translated.argv == [f"--{key}=/only/in/production"]
    with pytest.raises(ConfigurationError) as caught:
        check_on_machine(translated)
    assert caught.value.keys == ("ARGS", key)
    assert "does not exist" in caught.value.problem


def test_a_nul_character_is_refused_before_any_parser_sees_it() -> None:
    error = error_for({"env-file": "a\x00b"})
    assert "contains a NUL character" in error.problem
    assert "\\x00" in error.message


@pytest.mark.parametrize("separator", ["\n", "\x85", "\u2028", "\u2029", "\x1e"])
def test_every_line_separator_is_refused(separator: str) -> None:
    """What ``str.splitlines()`` breaks at can't reach a command: a printed ``--dry-run``
    line stays one line."""
    error = error_for({"env-file": f"a{separator}b"})
    assert "contains the control character" in error.problem
    assert len(error.message.splitlines()) == 1


def test_a_tab_and_other_text_pass() -> None:
    assert translate({"env-file": "a\tb é"}, uvicorn_schema()).argv == ["--env-file=a\tb é"]


def test_the_same_option_twice_is_an_error() -> None:
    error = error_for({"log-level": "info", "log_level": "debug"})
    assert error.keys == ("ARGS", "log_level")
    assert "already set by 'log-level'" in error.problem


def test_schema_holds_every_option_of_uvicorns_own_command() -> None:
    from uvicorn.main import main as uvicorn_command

    expected = {
        opt[2:]
        for param in uvicorn_command.params
        if isinstance(param, click.Option) and param.expose_value
        for opt in param.opts
        if opt.startswith("--")
    }
    assert expected <= {option.name for option in uvicorn_schema().options}
    assert "version" not in uvicorn_schema().names()


def test_a_new_server_option_works_without_a_release_of_ours() -> None:
    @click.command()
    @click.option("--brand-new-option", type=int)
    @click.option("--shiny/--no-shiny", default=False)
    def future_server(brand_new_option: int, shiny: bool) -> None:
        """A server release with options we have never heard of."""

    schema = schema_from_click(future_server, "future")
    assert translate({"brand_new_option": 3, "shiny": "off"}, schema).argv == [
        "--brand-new-option=3",
        "--no-shiny",
    ]
    with pytest.raises(ConfigurationError, match="not a valid integer"):
        translate({"brand-new-option": "three"}, schema)


def test_without_a_schema_args_pass_through_as_given() -> None:
    translated = translate(
        {"bind": "0.0.0.0:8111", "preload": None, "flag": True, "off": False, "x": ["1", "2"]},
        None,
    )
    assert translated.argv == ["--bind=0.0.0.0:8111", "--preload", "--flag", "--x=1", "--x=2"]


def test_numbers_too_large_for_any_option_are_one_line() -> None:
    assert error_for({"port": 10**5000}).problem == "a 16610-bit number is too large for --port"
    assert error_for({"access-log": 10**5000}).problem.startswith("a 16610-bit number is not")
    assert error_for({"access-log": [10**5000]}).problem.startswith("a list is not a boolean")


def test_a_check_for_an_option_the_program_lacks_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="uvicorn has no option 'nope'"):
        uvicorn_schema().with_checks({"nope": lambda value: None})
