"""uvicorn serving the project's ASGI application, or its WSGI application."""

from __future__ import annotations

import os
from typing import ClassVar

from ..applications import application_import_string
from ..binding import check_bindable
from ..errors import ConflictingOptionsError, ServerEnvironmentError
from ..options import OptionSchema
from ..stopping import sigterm_exits_zero
from ..translation import OptionValue
from ..uvicorn_options import check_uvicorn_combination, implementation, uvicorn_schema
from .base import BaseServerBackend, ServerDescription

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class UvicornServer(BaseServerBackend):
    """``uvicorn <ASGI_APPLICATION> <ARGS>`` in this process."""

    program = "uvicorn"
    keep_alive = ("timeout-keep-alive", 5)
    application_setting: ClassVar[str] = "ASGI_APPLICATION"
    interface: ClassVar[str | None] = None

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return uvicorn_schema()

    def validate(self) -> None:
        self._check_interface()
        check_uvicorn_combination(self.translated)
        self.application = application_import_string(self.application_setting)
        self._check_whole_command_line()

    def _check_whole_command_line(self) -> None:
        """uvicorn's parser over the exact arguments, which also reads UVICORN_* variables."""
        import click
        from uvicorn.main import main as uvicorn_command

        try:
            uvicorn_command.make_context("uvicorn", self.prep_server_args())
        except click.ClickException as error:
            raise environment_error(error) from error

    def _check_interface(self) -> None:
        chosen = self.translated.values.get("interface")
        if chosen is None:
            return
        if self.interface and chosen != self.interface:
            raise ConflictingOptionsError(
                self.translated.where("interface"),
                f"{type(self).__name__} always runs with --interface={self.interface}",
                "remove 'interface', or use UvicornServer for an ASGI application",
            )
        if not self.interface and chosen == "wsgi":
            raise ConflictingOptionsError(
                self.translated.where("interface"),
                "UvicornServer serves ASGI_APPLICATION, which is not a WSGI application",
                "use django_prodserver.backends.uvicorn.UvicornWSGIServer for WSGI_APPLICATION",
            )

    def preflight(self) -> None:
        values = self.translated.values
        if values.get("uds") or values.get("fd"):
            return
        check_bindable(
            str(values.get("host", DEFAULT_HOST)),
            int(str(values.get("port", DEFAULT_PORT))),
            ("ARGS",),
        )

    def describe(self) -> ServerDescription:
        values = self.translated.values
        if values.get("reload") is True:
            workers = "1 (reloading)"
        else:
            workers = str(values.get("workers") or os.environ.get("WEB_CONCURRENCY") or 1)
        return ServerDescription(
            binds=[uvicorn_bind(values)],
            workers=workers,
            worker_class="uvicorn processes",
            loop=implementation("loop", str(values.get("loop", "auto"))),
            http=implementation("http", str(values.get("http", "auto"))),
        )

    def prep_server_args(self) -> list[str]:
        fixed = [f"--interface={self.interface}"] if self.interface else []
        return [self.application, *fixed, *(arg for arg in self.args if arg not in fixed)]

    def start_server(self, *args: str) -> None:
        import click
        from uvicorn.main import main as uvicorn_command

        with sigterm_exits_zero():
            try:
                uvicorn_command.main(args=list(args), prog_name="uvicorn", standalone_mode=False)
            except click.ClickException as error:
                raise environment_error(error) from error


class UvicornWSGIServer(UvicornServer):
    """``uvicorn <WSGI_APPLICATION> --interface=wsgi <ARGS>`` in this process."""

    application_setting = "WSGI_APPLICATION"
    interface = "wsgi"


def uvicorn_bind(values: dict[str, OptionValue]) -> str:
    scheme = "https" if values.get("ssl-certfile") else "http"
    if values.get("uds"):
        return f"unix:{values['uds']}"
    if values.get("fd"):
        return f"fd://{values['fd']}"
    host = str(values.get("host", DEFAULT_HOST))
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{values.get('port', DEFAULT_PORT)}"


def environment_error(error: Exception) -> ServerEnvironmentError:
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    return ServerEnvironmentError(
        (),
        message.rstrip("."),
        "options ARGS leave unset are read from UVICORN_* environment variables: "
        "fix or unset the variable, or set the option in ARGS",
        setting="uvicorn",
    )
