from __future__ import annotations

import gc
import shlex
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from ...backends.base import BaseServerBackend
from ...banner import banner
from ...checks import validated_by_the_command
from ...conf import check_allowed_hosts, process_config, production_processes
from ...errors import ConfigurationError
from ...processes import load_backend
from ...running_together import DEFAULT_STOP_TIMEOUT, run_together
from ...runtime.json_logs import json_line

CONFIGURATION_ERROR_EXIT = 2
OVERRIDES_SEPARATOR = "--"


def settle_the_heap() -> None:
    """What this process built before the server starts (Django, the settings, the modules
    the checks imported) is kept out of every later garbage collection: by this process
    when it serves, and by the workers it forks (Granian's). Without it, each collection
    traverses all of it again: measured, 3 to 5% more CPU per request for Granian's ASGI
    workers than Granian started by hand."""
    gc.collect()
    gc.freeze()


def what_it_serves(backend: BaseServerBackend) -> str:
    if not backend.serves_http:
        return "no HTTP"
    binds = backend.describe().binds
    return "HTTP on " + ", ".join(str(bind) for bind in binds) if binds else "HTTP"


class Command(BaseCommand):
    help = (
        "Start the production server configured as NAME in settings.PRODUCTION_PROCESSES "
        "(the first one when NAME is omitted), in this process. Server options after '--' "
        "override its ARGS for this run: prodserver web -- --port 9001"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "names",
            nargs="*",
            metavar="NAME",
            help="A key of settings.PRODUCTION_PROCESSES; several run together.",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Run every configured process together in the foreground, each line of "
            "output prefixed with its name (for development and single-container setups).",
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=DEFAULT_STOP_TIMEOUT,
            metavar="SECONDS",
            help="With several processes: how long they get to stop gracefully after "
            f"SIGTERM or Ctrl-C before they are killed (default {DEFAULT_STOP_TIMEOUT:g}).",
        )
        parser.add_argument(
            "--list",
            action="store_true",
            help="List every configured process with the command line it amounts to.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the equivalent shell command and exit without starting anything.",
        )
        parser.set_defaults(overrides=[])

    def check(self, *args: Any, **kwargs: Any) -> None:
        with validated_by_the_command():
            super().check(*args, **kwargs)

    def run_from_argv(self, argv: list[str]) -> None:
        if OVERRIDES_SEPARATOR in argv:
            split = argv.index(OVERRIDES_SEPARATOR)
            self.overrides = argv[split + 1 :]
            argv = argv[:split]
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        overrides = options["overrides"] or getattr(self, "overrides", [])
        try:
            if options["list"]:
                self.list_processes()
                return
            names: list[str] = options["names"]
            if options["all"] or len(names) > 1:
                self.run_several(names, overrides, options)
                return
            name = names[0] if names else None
            config = process_config(name)
            backend = load_backend(config, overrides, on_this_machine=True)
            if backend.serves_http:
                check_allowed_hosts()
            if options["dry_run"]:
                self.say_notes(backend)
                self.stdout.write(self.equivalent_command(backend, options.get("settings")))
                return
            try:
                backend.preflight()
                backend.preflight_metrics()
            except ConfigurationError as error:
                raise error.inside(config.name) from error.__cause__
        except ConfigurationError as error:
            raise CommandError(error.message, returncode=CONFIGURATION_ERROR_EXIT) from error
        self.json_lines = backend.logs.json_lines
        if name is None:
            self.say(
                f"Starting {config.name!r}, the first process in PRODUCTION_PROCESSES "
                "(name another to start it instead)."
            )
        self.say_notes(backend)
        self.say(banner(config.name, backend))
        connections.close_all()
        settle_the_heap()
        try:
            backend.start_server(*backend.prep_server_args())
        except ConfigurationError as error:
            raise CommandError(error.message, returncode=CONFIGURATION_ERROR_EXIT) from error

    def run_several(self, names: list[str], overrides: list[str], options: dict[str, Any]) -> None:
        """Every process checked as if started alone, then all started together; nothing
        starts when one of them is misconfigured."""
        if overrides:
            raise ConfigurationError(
                (),
                "server options after '--' apply to one process, not to several",
                "start that process alone to override its options",
            )
        chosen = names or list(production_processes())
        if options["all"] and names:
            raise ConfigurationError(
                (), "--all runs every process, so names cannot be given too", "use one or the other"
            )
        backends = []
        for name in dict.fromkeys(chosen):
            config = process_config(name)
            backend = load_backend(config, on_this_machine=True)
            if backend.serves_http:
                check_allowed_hosts()
            backends.append((config.name, backend))
        if options["dry_run"]:
            for name, backend in backends:
                self.stdout.write(
                    f"{name}: {self.equivalent_command(backend, options.get('settings'))}"
                )
            return
        listening: dict[str, str] = {}
        for name, backend in backends:
            for bind in backend.describe().binds if backend.serves_http else []:
                address = str(bind).split("://", 1)[-1]
                if address in listening:
                    raise ConfigurationError(
                        (name,),
                        f"listens on {bind}, as {listening[address]!r} does",
                        "give each process run together its own address or port",
                    )
                listening[address] = name
            try:
                backend.preflight()
                backend.preflight_metrics()
            except ConfigurationError as error:
                raise error.inside(name) from error.__cause__
        self.say(f"prodserver: starting {', '.join(repr(name) for name, _ in backends)} together")
        connections.close_all()
        status = run_together(
            [name for name, _ in backends],
            options["stop_timeout"],
            options.get("settings"),
            options.get("pythonpath"),
        )
        if status:
            raise CommandError(
                f"a process exited with status {status}; the others were stopped", returncode=status
            )

    def equivalent_command(self, backend: BaseServerBackend, settings: str | None) -> str:
        command = backend.command_line(redact=True)
        if settings:
            assignment = f"DJANGO_SETTINGS_MODULE={settings}"
            command = (
                [command[0], assignment, *command[1:]]
                if command[0] == "env"
                else ["env", assignment, *command]
            )
        return shlex.join(command)

    def list_processes(self) -> None:
        broken = 0
        for config in production_processes().values():
            try:
                backend = load_backend(config, on_this_machine=True)
                line = shlex.join(backend.command_line(redact=True))
            except ConfigurationError as error:
                broken += 1
                self.stdout.write(f"{config.name}: {config.backend_path}")
                self.stdout.write(f"    error: {error.message}")
                continue
            self.stdout.write(f"{config.name}: {config.backend_path} ({what_it_serves(backend)})")
            self.stdout.write(f"    {line}")
        if broken:
            raise ConfigurationError(
                (),
                f"{broken} process(es) are misconfigured",
                "fix the errors listed above",
            )

    def say_notes(self, backend: BaseServerBackend) -> None:
        for note in backend.notes:
            self.say(f"prodserver: {note}")

    json_lines = False

    def say(self, message: str) -> None:
        if self.json_lines:
            message = json_line("django_prodserver", message)
        self.stderr.write(message)
        sys.stderr.flush()
