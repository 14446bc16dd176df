"""Granian serving the project's ASGI application, or its WSGI application, started from
this process (Granian's own supervisor, then its worker processes)."""

from __future__ import annotations

import logging
import os
from typing import ClassVar

from ...errors import ConflictingOptionsError, InvalidValueError, ServerEnvironmentError
from ...options.schema import InvalidValue, OptionSchema
from ...options.translation import OptionValue
from ...runtime.signals import sigterm_exits_zero
from ...runtime.wrapped_target import ENTRY_POINT as WRAPPED_ENTRY_POINT
from ...runtime.wrapped_target import target_environment
from ..applications import find_application
from ..asgi_handler import check_handler_environment, handler_choice, with_environment
from ..base import BaseServerBackend, Bind, GracefulTimeout, ServerDescription, is_loopback
from ..health_options import health_choice
from ..log_options import ACCESS_LOG_FORMAT, log_choice
from ..sockets import check_bindable, check_unix_socket_path
from ..tls import check_tls
from .access_format import granian_access_format
from .schema import ENVIRONMENT_PREFIX, GRANIAN_TLS, granian_asgi_schema, granian_wsgi_schema

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class GranianASGIServer(BaseServerBackend):
    """``granian --interface asgi <ASGI_APPLICATION> <ARGS>`` in this process."""

    program = "granian"
    application_setting: ClassVar[str] = "ASGI_APPLICATION"
    #: Django's ASGI handler answers only HTTP and websockets, not the lifespan protocol.
    interface: ClassVar[str] = "asginl"
    reload_option = "reload"
    # Granian has no option to serve an inherited socket (no --fd), so no LISTEN_FDS.
    takes_systemd_sockets = False
    keep_alive = None
    #: Granian waits for ever for its workers to stop, unless told a kill timeout.
    graceful_timeout = GracefulTimeout("workers-kill-timeout", None)

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return granian_asgi_schema()

    def server_argv(self) -> list[str]:
        return self.translated.argv_of("granian")

    def access_log_args(self) -> list[str]:
        """``access-log-format`` as Granian's own format, turning its access lines on
        (they are off by default) unless ARGS turn them off."""
        if self.logs.access_log_format is None:
            return []
        fmt = f"--access-log-fmt={self.granian_access_format}"
        if self.translated.values.get("access-log") is False:
            return [fmt]
        return [fmt, "--access-log"]

    granian_access_format = ""

    def validate(self) -> None:
        self.handler = handler_choice(self.translated)
        self.logs = log_choice(self.translated)
        if self.logs.access_log_format is not None:
            self._translate_access_format(self.logs.access_log_format)
        application = find_application(self.application_setting)
        self.application = application.import_string  # module:attribute, as Granian takes it
        self.health = health_choice(self.translated)
        self.metrics = self.metrics_choice()
        self.target = self.handler.target(self.application)
        if self.wrapped:
            self.target = WRAPPED_ENTRY_POINT
        if application.origin:
            self.notes.append(application.origin)

    def _translate_access_format(self, access_format: str) -> None:
        where = self.translated.where(ACCESS_LOG_FORMAT)
        if "access-log-fmt" in self.translated.values:
            raise ConflictingOptionsError(
                where,
                "and 'access-log-fmt' both set Granian's access line",
                "keep one: 'access-log-format' takes gunicorn's atoms, 'access-log-fmt' Granian's",
            )
        try:
            self.granian_access_format = granian_access_format(access_format)
        except InvalidValue as error:
            raise InvalidValueError(where, error.problem, error.fix) from None

    def check_environment(self) -> None:
        super().check_environment()
        check_handler_environment()
        check_tls(self.translated, GRANIAN_TLS)
        self._check_whole_command_line()

    def _check_whole_command_line(self) -> None:
        """Granian's parser over the exact arguments, which also reads GRANIAN_* variables."""
        import click
        from granian.cli import cli

        try:
            cli.make_context(
                "granian", self.prep_server_args(), auto_envvar_prefix=ENVIRONMENT_PREFIX
            )
        except click.ClickException as error:
            raise environment_error(error) from error

    def prep_server_args(self) -> list[str]:
        return [f"--interface={self.interface}", *self.args, *self.access_log_args(), self.target]

    def preflight(self) -> None:
        values = self.translated.values
        if values.get("uds"):
            check_unix_socket_path(str(values["uds"]))
            return
        check_bindable(
            str(values.get("host", DEFAULT_HOST)),
            int(str(values.get("port", DEFAULT_PORT))),
            self.translated.where("host"),
            self.translated.where("port"),
        )

    def describe(self) -> ServerDescription:
        values = self.translated.values
        workers = (
            "1 (reloading)" if values.get("reload") is True else str(values.get("workers") or 1)
        )
        return ServerDescription(
            binds=[granian_bind(values)],
            workers=workers,
            worker_class=f"granian {self.interface.rstrip('nl')} processes",
            http=str(values.get("http", "auto")),
            handler=self.handler.described(),
        )

    def process_environment(self) -> dict[str, str]:
        """What Granian's processes read: the handler's, the logs', the health paths' and
        the metrics' choices, and the application behind our layers."""
        environment = {
            **self.handler.environment(self.application),
            **self.logs.environment(),
            **self.health.environment(),
            **self.metrics.environment(),
        }
        if self.wrapped:
            interface = "wsgi" if self.interface == "wsgi" else "asgi"
            environment.update(target_environment(self.handler.target(self.application), interface))
        return environment

    @property
    def wrapped(self) -> bool:
        """Whether Granian serves our layers (health paths, metrics) around the target."""
        return self.health.answers_health_paths or self.metrics.bind is not None

    def command_line(self, redact: bool = False) -> list[str]:
        return with_environment(self.process_environment(), super().command_line(redact))

    def graceful_timeout_seconds(self) -> float | None:
        """``workers-kill-timeout`` takes Granian's durations ('30', '1m30s')."""
        configured = self.translated.values.get("workers-kill-timeout")
        if configured is None:
            return None
        from granian.cli import Duration

        return float(Duration().convert(str(configured), None, None))

    def environment_source(self) -> str:
        return "GRANIAN_* variables"

    def start_server(self, *args: str) -> None:
        import click
        from granian.cli import cli

        from ...runtime.drain import DrainDelay
        from ...runtime.granian_drain import drain_delay_in_granian
        from ...runtime.granian_logging import json_lines_in_granian
        from ...runtime.metrics_endpoint import MetricsEndpoint

        os.environ.update(self.process_environment())
        drain = DrainDelay.from_environment(logging.getLogger("_granian"))
        MetricsEndpoint.from_environment(logging.getLogger("_granian"))
        with sigterm_exits_zero(), json_lines_in_granian(), drain_delay_in_granian(drain):
            try:
                status = cli.main(
                    args=list(args),
                    prog_name="granian",
                    standalone_mode=False,
                    auto_envvar_prefix=ENVIRONMENT_PREFIX,
                )
            except click.ClickException as error:
                raise environment_error(error) from error
        if isinstance(status, int) and status:
            raise SystemExit(status)


class GranianWSGIServer(GranianASGIServer):
    """``granian --interface wsgi <WSGI_APPLICATION> <ARGS>`` in this process."""

    application_setting = "WSGI_APPLICATION"
    interface = "wsgi"

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return granian_wsgi_schema()


def granian_bind(values: dict[str, OptionValue]) -> Bind:
    if values.get("uds"):
        return Bind(f"unix:{values['uds']}")
    scheme = "https" if values.get("ssl-certificate") else "http"
    host = str(values.get("host", DEFAULT_HOST))
    shown = f"[{host}]" if ":" in host else host
    return Bind(
        f"{scheme}://{shown}:{values.get('port', DEFAULT_PORT)}",
        tcp=True,
        loopback=is_loopback(host),
    )


def environment_error(error: Exception) -> ServerEnvironmentError:
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    return ServerEnvironmentError(
        (),
        message.rstrip("."),
        "options ARGS leave unset are read from GRANIAN_* environment variables: "
        "fix or unset the variable, or set the option in ARGS",
        setting="granian",
    )
