"""Any management command as a process: ``"COMMAND": "db_worker"``, its ARGS typed by the
command's own parser, run in this process by ``call_command`` so that signals reach it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ...errors import ConflictingOptionsError, InvalidValueError
from ...options.schema import OptionSchema
from ...runtime.signals import sigterm_exits_zero
from ..base import BaseServerBackend, Bind, ServerDescription, is_loopback
from ..sockets import check_bindable
from .schema import command_parser, command_schema, load_command


class ManagementCommand(BaseServerBackend):
    """``manage.py <COMMAND> <ARGS>``, in this process."""

    program = "manage.py"
    serves_http = False
    process_keys: ClassVar[Mapping[str, str]] = {
        "COMMAND": "the name of the management command to run, e.g. 'db_worker'"
    }
    #: The command a named backend runs (None: the process's ``COMMAND``).
    command: ClassVar[str | None] = None
    #: What to install when the command is missing.
    install_hint: ClassVar[str | None] = None

    @classmethod
    def command_name(cls, process: Mapping[str, Any]) -> str:
        return cls.command or str(process.get("COMMAND", "")).strip()

    @classmethod
    def schema_for(cls, process: Mapping[str, Any]) -> OptionSchema:
        name = cls.command_name(process)
        load_command(name, cls.install_hint)  # the missing-command error, with its hint
        return command_schema(name)

    def validate(self) -> None:
        """The command's own parser over the exact arguments: what it requires, what it
        cannot take together."""
        from django.core.management.base import CommandError

        self.name = self.command_name(self.server_args)
        try:
            command_parser(self.name).parse_args(self.args)
        except CommandError as error:
            raise ConflictingOptionsError(
                ("ARGS",),
                f"manage.py {self.name} refuses these arguments ({str(error).rstrip('.')})",
                f"see `manage.py {self.name} --help`",
            ) from error

    def command_line(self, redact: bool = False) -> list[str]:
        argv = super().command_line(redact)
        return ["python", "manage.py", self.name, *argv[1:]]

    def start_server(self, *args: str) -> None:
        from django.core.management import call_command

        call_command(self.name, *args)


class RunServer(ManagementCommand):
    """Django's development server, ``manage.py runserver``, for a ``dev`` process. Never
    for production: ``check --deploy`` warns when one is configured."""

    command = "runserver"
    serves_http = True
    for_development = True
    process_keys: ClassVar[Mapping[str, str]] = {}

    def validate(self) -> None:
        super().validate()
        from django.core.management.commands.runserver import naiveip_re

        given = self.translated.values.get("addrport")
        if given and not naiveip_re.match(str(given)):
            raise InvalidValueError(
                self.translated.where("addrport"),
                f"{given!r} is not a port or an address:port",
                "give e.g. '8000' or '127.0.0.1:8000'",
            )

    def describe(self) -> ServerDescription:
        return ServerDescription(binds=[self.bind()], workers="1 (Django's development server)")

    def address(self) -> tuple[str, int]:
        from django.core.management.commands.runserver import naiveip_re

        given = self.translated.values.get("addrport")
        host, port = "127.0.0.1", 8000
        match = naiveip_re.match(str(given)) if given else None
        if match:
            host = match["ipv4"] or (match["ipv6"] or "") or match["fqdn"] or host
            port = int(match["port"])
        return host, port

    def bind(self) -> Bind:
        host, port = self.address()
        shown = f"[{host}]" if ":" in host else host
        return Bind(f"http://{shown}:{port}", tcp=True, loopback=is_loopback(host))

    def start_server(self, *args: str) -> None:
        """runserver by hand dies by SIGTERM; here a stop asked for exits 0."""
        with sigterm_exits_zero():
            super().start_server(*args)

    def preflight(self) -> None:
        host, port = self.address()
        check_bindable(
            host, port, self.translated.where("addrport"), self.translated.where("addrport")
        )
