from __future__ import annotations

import shlex
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from ...backends.base import BaseServerBackend
from ...conf import ProcessConfig, process_config, production_processes
from ...errors import ConfigurationError
from ...processes import load_backend

CONFIGURATION_ERROR_EXIT = 2


class Command(BaseCommand):
    help = (
        "Start the production server configured as NAME in settings.PRODUCTION_PROCESSES "
        "(the first one when NAME is omitted), in this process."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "name", nargs="?", metavar="NAME", help="A key of settings.PRODUCTION_PROCESSES."
        )
        parser.add_argument(
            "--list",
            action="store_true",
            help="List every configured process with the command line it amounts to.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["list"]:
                self.list_processes()
                return
            name = options["name"]
            config = process_config(name)
            backend = self.prepare(config)
        except ConfigurationError as error:
            raise CommandError(error.message, returncode=CONFIGURATION_ERROR_EXIT) from error
        if name is None:
            self.say(
                f"Starting {config.name!r}, the first process in PRODUCTION_PROCESSES "
                "(name another to start it instead)."
            )
        connections.close_all()
        try:
            backend.start_server(*backend.prep_server_args())
        except ConfigurationError as error:
            raise CommandError(error.message, returncode=CONFIGURATION_ERROR_EXIT) from error

    def prepare(self, config: ProcessConfig) -> BaseServerBackend:
        backend = load_backend(config)
        try:
            backend.preflight()
        except ConfigurationError as error:
            raise error.inside(config.name) from error.__cause__
        return backend

    def list_processes(self) -> None:
        broken = 0
        for config in production_processes().values():
            self.stdout.write(f"{config.name}: {config.backend_path}")
            try:
                line = shlex.join(load_backend(config).command_line())
            except ConfigurationError as error:
                broken += 1
                self.stdout.write(f"    error: {error.message}")
            else:
                self.stdout.write(f"    {line}")
        if broken:
            raise ConfigurationError(
                (),
                f"{broken} process(es) are misconfigured",
                "fix the errors listed above",
            )

    def say(self, message: str) -> None:
        self.stderr.write(message)
        sys.stderr.flush()
