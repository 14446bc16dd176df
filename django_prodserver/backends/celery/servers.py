"""Celery's worker and beat, in this process, on the Celery app of the process key APP."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import ClassVar

from ...errors import ApplicationError
from ...options.schema import OptionSchema
from ..base import BaseServerBackend, ServerDescription
from .schema import GROUP, celery_schema


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
        return celery_schema(cls.subcommand)

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
        from celery.bin.celery import celery

        status = celery.main(args=list(args), prog_name="celery", standalone_mode=False)
        if isinstance(status, int) and status:
            sys.exit(status)


class CeleryBeat(CeleryWorker):
    """``celery -A <APP> beat <ARGS>`` in this process: the scheduler. Run one only."""

    subcommand = "beat"
