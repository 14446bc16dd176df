"""Celery's options, read from its own click commands: the ``celery`` group's options (the
broker, the result backend) and those of ``celery worker`` or ``celery beat``."""

from __future__ import annotations

from functools import cache

from ...errors import BackendError
from ...options.readers.click import schema_from_click
from ...options.schema import OptionSchema, Refusal

INSTALL_HINT = "pip install 'django-prodserver[celery]'"
#: The owner of the ``celery`` group's options, which go before the subcommand.
GROUP = "celery"

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
    of the command line it goes in."""
    try:
        from celery.bin.celery import celery
    except ImportError as error:
        raise BackendError(
            ("BACKEND",), f"needs Celery, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    from celery import Celery
    from celery.bin.base import CLIContext

    # Celery's option types read the app's configuration; a bare app has the defaults.
    context = CLIContext(app=Celery(set_as_current=False), no_color=True, workdir=None)
    command = celery.commands[subcommand]
    own = schema_from_click(command, subcommand, context).refusing({"detach": FOREGROUND})
    group = schema_from_click(celery, GROUP).refusing(GROUP_REFUSALS)
    return own.merged_with(group, f"celery {subcommand}")
