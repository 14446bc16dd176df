"""Celery's worker and beat, in this process, on the Celery app of the process key APP."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import ClassVar

from ..._compat import click_unparsed_tokens
from ...errors import ApplicationError, ServerEnvironmentError
from ...options.schema import OptionSchema
from ..base import BaseServerBackend, ServerDescription
from .schema import ENVIRONMENT_PREFIX, GROUP, lazy_celery_schema


class CeleryWorker(BaseServerBackend):
    """``celery -A <APP> worker <ARGS>`` in this process. SIGTERM is Celery's warm
    shutdown: running tasks finish, then it exits 0."""

    program = "celery"
    serves_http = False
    process_keys: ClassVar[Mapping[str, str]] = {
        "APP": "the dotted path of the Celery app, e.g. 'myproject.celery.app'"
    }
    subcommand: ClassVar[str] = "worker"

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return lazy_celery_schema(cls.subcommand)

    def validate(self) -> None:
        from celery import Celery
        from django.utils.module_loading import import_string

        path = str(self.server_args["APP"]).strip()
        try:
            app = import_string(path.replace(":", "."))
        except ImportError as error:
            raise ApplicationError(
                ("APP",),
                f"{path!r} cannot be imported ({error})",
                "name the Celery app by its dotted path, e.g. 'myproject.celery.app'",
            ) from error
        if not isinstance(app, Celery):
            raise ApplicationError(
                ("APP",),
                f"{path!r} is a {type(app).__name__}, not a Celery app",
                "name the Celery() instance itself, e.g. 'myproject.celery.app'",
            )
        self.app_path = path

    def check_environment(self) -> None:
        """Celery's own parser over the exact arguments, which also reads ``CELERY_*``
        variables (``CELERY_WORKER_LOGLEVEL``, ...) for the options ARGS leave unset."""
        super().check_environment()
        import click
        from celery import Celery
        from celery.bin.base import CLIContext
        from celery.bin.celery import celery

        context = CLIContext(app=Celery(set_as_current=False), no_color=True, workdir=None)
        try:
            parsed = celery.make_context(
                "celery",
                self.prep_server_args(),
                obj=context,
                auto_envvar_prefix=ENVIRONMENT_PREFIX,
            )
            name, command, rest = celery.resolve_command(parsed, click_unparsed_tokens(parsed))
            if command is not None and name is not None:
                command.make_context(name, rest, parent=parsed)
        except click.ClickException as error:
            raise ServerEnvironmentError.from_parser(error, "celery", ENVIRONMENT_PREFIX) from error

    def prep_server_args(self) -> list[str]:
        return [
            f"--app={self.app_path}",
            *self.translated.argv_of(GROUP),
            self.subcommand,
            *self.translated.argv_of(self.subcommand),
        ]

    def describe(self) -> ServerDescription:
        values = self.translated.values
        concurrency = values.get("concurrency")
        pool = values.get("pool")
        if self.subcommand != "worker":
            return ServerDescription()
        return ServerDescription(
            workers=str(concurrency) if concurrency else "one per CPU",
            worker_class=str(pool or "prefork"),
        )

    def start_server(self, *args: str) -> None:
        """As the ``celery`` program runs: the gevent or eventlet pool patched in first, and
        options ARGS leave unset read from ``CELERY_*`` environment variables."""
        from celery import maybe_patch_concurrency

        maybe_patch_concurrency(["celery", *args])
        from celery.bin.celery import celery

        status = celery.main(
            args=list(args),
            prog_name="celery",
            standalone_mode=False,
            auto_envvar_prefix=ENVIRONMENT_PREFIX,
        )
        if isinstance(status, int) and status:
            sys.exit(status)

    def environment_source(self) -> str:
        return "CELERY_* variables"


class CeleryBeat(CeleryWorker):
    """``celery -A <APP> beat <ARGS>`` in this process: the scheduler. Run one only."""

    subcommand = "beat"
