"""Celery's options, read from its own click commands: the ``celery`` group's options (the
broker, the result backend) and those of ``celery worker`` or ``celery beat``."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from importlib import import_module

from ...errors import BackendError
from ...options.readers.click import schema_from_click
from ...options.schema import OptionSchema, Refusal

INSTALL_HINT = "pip install 'django-prodserver[celery]'"
#: The owner of the ``celery`` group's options, which go before the subcommand.
GROUP = "celery"
#: The environment variables Celery's command reads for options not given.
ENVIRONMENT_PREFIX = "CELERY"

GROUP_REFUSALS = {
    "app": Refusal(
        "the Celery app is the process key 'APP', not an option",
        "set 'APP': 'myproject.celery.app' beside 'BACKEND'",
    ),
    "version": Refusal("only prints Celery's version", "remove it"),
}
FOREGROUND = Refusal(
    "prodserver runs the process in the foreground, where systemd, Kubernetes or honcho "
    "supervise it; a detached one would be left without a supervisor",
    "remove it",
)


@cache
def celery_schema(subcommand: str) -> OptionSchema:
    """``celery <group options> <subcommand> <its options>``, each option owned by the part
    of the command line it goes in: every option, as the docs list them."""
    return subcommand_schema(subcommand).merged_with(group_schema(), f"celery {subcommand}")


@cache
def lazy_celery_schema(subcommand: str) -> OptionSchema:
    """The same options, the ``celery`` command's own read only for a key the subcommand
    does not have: importing the ``celery`` command imports all its subcommands (about
    0.1 s), which every ``migrate`` would pay for an option hardly anyone sets."""
    return subcommand_schema(subcommand).with_fallback(group_schema)


@cache
def subcommand_schema(subcommand: str) -> OptionSchema:
    try:
        from celery import Celery
        from celery.bin.base import CLIContext
    except ImportError as error:
        raise BackendError(
            ("BACKEND",), f"needs Celery, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    command = import_module(f"celery.bin.{subcommand}").__dict__[subcommand]
    # Celery's option types read the app's configuration; a bare app has the defaults.
    context = CLIContext(app=Celery(set_as_current=False), no_color=True, workdir=None)
    schema = schema_from_click(command, f"celery {subcommand}", context)
    return OptionSchema(
        f"celery {subcommand}",
        [replace(option, owner=subcommand) for option in schema.options],
    ).refusing({"detach": FOREGROUND})


@cache
def group_schema() -> OptionSchema:
    from celery.bin.celery import celery

    return schema_from_click(celery, GROUP).refusing(GROUP_REFUSALS)
