"""A management command's options, read from the command's own argparse parser: the one
Django builds for ``manage.py COMMAND --help``."""

from __future__ import annotations

import difflib
from functools import cache
from typing import TYPE_CHECKING

from ...errors import BackendError, ConfigurationError
from ...options.readers.argparse import schema_from_argparse
from ...options.schema import OptionSchema, Refusal

if TYPE_CHECKING:
    from django.core.management.base import BaseCommand, CommandParser

#: Options of every management command that choose the project itself: the command runs
#: inside ``prodserver``'s process, which already has its settings and path.
IN_THIS_PROCESS = Refusal(
    "the command runs inside the prodserver process, whose settings are already loaded",
    "give --settings or --pythonpath to `manage.py prodserver` itself, or set "
    "DJANGO_SETTINGS_MODULE / PYTHONPATH",
)
REFUSED = {
    "settings": IN_THIS_PROCESS,
    "pythonpath": IN_THIS_PROCESS,
    "version": Refusal("only prints Django's version", "remove it"),
}
#: Commands that cannot be a process of their own.
NOT_A_PROCESS = ("prodserver",)


@cache
def command_schema(name: str) -> OptionSchema:
    """Every option and positional argument of ``manage.py NAME``."""
    return schema_from_argparse(command_parser(name), f"manage.py {name}").refusing(REFUSED)


@cache
def command_parser(name: str) -> CommandParser:
    """The parser Django builds for ``manage.py NAME``: built once, read for the schema and
    run over each process's arguments."""
    return load_command(name).create_parser("manage.py", name)


def load_command(name: str, needs: str | None = None) -> BaseCommand:
    """The command called ``name``, from the app that provides it. ``needs`` says what to
    install when it is missing (for the backends named after a package's command)."""
    from django.core.management import get_commands, load_command_class

    commands = get_commands()
    if name in NOT_A_PROCESS:
        raise ConfigurationError(
            ("COMMAND",),
            f"{name!r} cannot run as a process of prodserver",
            "name the command the process runs, e.g. 'COMMAND': 'db_worker'",
        )
    if name not in commands:
        if needs:
            raise BackendError(
                (), f"needs the management command {name!r}, which is not available", needs
            )
        close = difflib.get_close_matches(name, list(commands), n=1)
        raise ConfigurationError(
            ("COMMAND",),
            f"there is no management command {name!r} in this project",
            f"did you mean {close[0]!r}?"
            if close
            else "see `manage.py help` for the commands, and add the app that provides it "
            "to INSTALLED_APPS",
        )
    try:
        return load_command_class(commands[name], name)
    except ImportError as error:
        raise BackendError(
            (),
            f"the management command {name!r} cannot be imported ({error})",
            needs or "install what the command needs",
        ) from error
