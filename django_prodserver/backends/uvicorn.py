"""uvicorn serving the project's ASGI application, or its WSGI application."""

from __future__ import annotations

from typing import ClassVar

from ..applications import application_import_string
from ..binding import check_bindable
from ..errors import ConfigurationError
from ..options import OptionSchema
from ..stopping import sigterm_exits_zero
from ..uvicorn_options import check_uvicorn_combination, uvicorn_schema
from .base import BaseServerBackend

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class UvicornServer(BaseServerBackend):
    """``uvicorn <ASGI_APPLICATION> <ARGS>`` in this process."""

    program = "uvicorn"
    application_setting: ClassVar[str] = "ASGI_APPLICATION"
    interface: ClassVar[str | None] = None

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return uvicorn_schema()

    def validate(self) -> None:
        self._check_interface()
        check_uvicorn_combination(self.translated)
        self.application = application_import_string(self.application_setting)

    def _check_interface(self) -> None:
        chosen = self.translated.values.get("interface")
        if chosen is None:
            return
        if self.interface and chosen != self.interface:
            raise ConfigurationError(
                self.translated.where("interface"),
                f"{type(self).__name__} always runs with --interface={self.interface}",
                "remove 'interface', or use UvicornServer for an ASGI application",
            )
        if not self.interface and chosen == "wsgi":
            raise ConfigurationError(
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
                raise ConfigurationError(
                    (),
                    error.format_message().rstrip("."),
                    "options ARGS leave unset are read from UVICORN_* environment variables: "
                    "fix or unset the variable, or set the option in ARGS",
                    setting="uvicorn",
                ) from error


class UvicornWSGIServer(UvicornServer):
    """``uvicorn <WSGI_APPLICATION> --interface=wsgi <ARGS>`` in this process."""

    application_setting = "WSGI_APPLICATION"
    interface = "wsgi"
