"""uvicorn serving the project's ASGI application, or its WSGI application."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

from ...errors import ConflictingOptionsError, ServerEnvironmentError
from ...options.schema import OptionSchema
from ...options.translation import OptionValue
from ...runtime.signals import sigterm_exits_zero
from ..applications import check_lifespan, find_application
from ..asgi_handler import (
    ASGI_HANDLER,
    HandlerChoice,
    check_handler_environment,
    handler_choice,
    with_environment,
)
from ..base import (
    BaseServerBackend,
    Bind,
    GracefulTimeout,
    KeepAlive,
    ServerDescription,
    tcp_bind,
)
from ..health_options import health_choice
from ..log_options import log_choice
from ..sockets import (
    bind_unix_socket,
    check_bindable,
    check_listening_fd,
    check_systemd_sockets,
    check_unix_socket_path,
    parse_mode,
    socket_from_fd,
    take_systemd_sockets,
)
from ..tls import check_tls
from .schema import (
    DEFAULT_HEAD_TIMEOUT,
    HEAD_TIMEOUT,
    REQUEST_LIMITS,
    UDS_MODE,
    UVICORN_TLS,
    check_uvicorn_combination,
    implementation,
    uvicorn_schema_with_our_options,
)

if TYPE_CHECKING:
    from ...runtime.limits import RequestLimits
    from ...runtime.uvicorn_runner import AccessLines, Listeners

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_BACKLOG = 2048


class UvicornServer(BaseServerBackend):
    """``uvicorn <ASGI_APPLICATION> <ARGS>`` in this process."""

    program = "uvicorn"
    application_setting: ClassVar[str] = "ASGI_APPLICATION"
    keep_alive = KeepAlive("timeout-keep-alive", 5)
    graceful_timeout = GracefulTimeout("timeout-graceful-shutdown", None)
    trusted_proxies_option = "forwarded-allow-ips"
    proxy_headers_option = "proxy-headers"
    reload_option = "reload"
    takes_systemd_sockets = True
    interface: ClassVar[str | None] = None

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return uvicorn_schema_with_our_options()

    def server_argv(self) -> list[str]:
        """uvicorn's own options; ours (``uds-mode``) are for the sockets we open."""
        return self.translated.argv_of("uvicorn")

    def validate(self) -> None:
        self._check_interface()
        check_uvicorn_combination(self.translated)
        self.handler = self._handler_choice()
        self.logs = log_choice(self.translated)
        self.health = health_choice(self.translated)
        application = find_application(self.application_setting)
        check_lifespan(self.translated, application)
        self.application = application.import_string
        self.metrics = self.metrics_choice()
        if application.origin:
            self.notes.append(application.origin)

    def _handler_choice(self) -> HandlerChoice:
        if self.interface and ASGI_HANDLER in self.translated.values:
            raise ConflictingOptionsError(
                self.translated.where(ASGI_HANDLER),
                f"chooses the Django handler for ASGI, and {type(self).__name__} serves "
                "WSGI_APPLICATION",
                "remove it, or use django_prodserver.backends.uvicorn.UvicornServer",
            )
        return handler_choice(self.translated)

    def check_environment(self) -> None:
        super().check_environment()
        check_handler_environment()
        check_tls(self.translated, UVICORN_TLS)
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
        if check_systemd_sockets():
            return
        if values.get("fd") is not None:
            check_listening_fd(int(str(values["fd"])), self.translated.where("fd"))
            return
        if values.get("uds"):
            check_unix_socket_path(str(values["uds"]))
            return
        check_bindable(
            str(values.get("host", DEFAULT_HOST)),
            int(str(values.get("port", DEFAULT_PORT))),
            self.translated.where("host"),
            self.translated.where("port"),
        )

    def effective_values(self) -> dict[str, OptionValue]:
        """ARGS as uvicorn will see them: with what its environment variables (``UVICORN_*``,
        ``WEB_CONCURRENCY``) set for the options ARGS leave unset, as its parser reads them."""
        import click
        from click.core import ParameterSource
        from uvicorn.main import main as uvicorn_command

        values = dict(self.translated.values)
        try:
            context = uvicorn_command.make_context("uvicorn", self.prep_server_args())
        except click.ClickException:
            return values
        for name, value in context.params.items():
            if (
                value is not None
                and context.get_parameter_source(name) is ParameterSource.ENVIRONMENT
            ):
                values[name.replace("_", "-")] = value if isinstance(value, bool) else str(value)
        return values

    def environment_source(self) -> str:
        return "UVICORN_* variables"

    def describe(self) -> ServerDescription:
        values = self.effective_values()
        if values.get("reload") is True:
            workers = "1 (reloading)"
        else:
            workers = str(values.get("workers") or 1)
        inherited = self.inherited_sockets()
        binds = (
            [Bind(f"{inherited} socket(s) passed by systemd (LISTEN_FDS)")]
            if inherited
            else [uvicorn_bind(values)]
        )
        return ServerDescription(
            binds=binds,
            workers=workers,
            worker_class="uvicorn processes",
            loop=implementation("loop", str(values.get("loop", "auto"))),
            http=implementation("http", str(values.get("http", "auto"))),
            handler=self.handler.described(),
        )

    def prep_server_args(self) -> list[str]:
        fixed = [f"--interface={self.interface}"] if self.interface else []
        target = self.handler.target(self.application)
        return [target, *fixed, *(arg for arg in self.args if arg not in fixed)]

    def command_line(self, redact: bool = False) -> list[str]:
        environment = {**self.handler.environment(self.application), **self.logs.environment()}
        return with_environment(environment, super().command_line(redact))

    def start_server(self, *args: str) -> None:
        import click
        from uvicorn.main import main as uvicorn_command

        from ...runtime.uvicorn_runner import running_uvicorn_with

        os.environ.update(self.handler.environment(self.application))
        os.environ.update(self.logs.environment())
        os.environ.update(self.health.environment())
        os.environ.update(self.metrics.environment())

        with (
            sigterm_exits_zero(),
            running_uvicorn_with(self.listeners(), self.request_limits(), self.access_lines()),
        ):
            try:
                uvicorn_command.main(args=list(args), prog_name="uvicorn", standalone_mode=False)
            except click.ClickException as error:
                raise environment_error(error) from error

    def access_lines(self) -> AccessLines | None:
        """Our access lines, in place of uvicorn's, when ARGS give a format or JSON logs."""
        from ...runtime.uvicorn_runner import AccessLines

        if not self.logs.our_access_lines:
            return None
        return AccessLines(self.logs.line_format, self.logs.json_lines, self.logs.request_id_header)

    def request_limits(self) -> RequestLimits:
        """gunicorn's three request limits, its defaults unless ARGS say otherwise."""
        from ...runtime.limits import RequestLimits

        line, fields, field_size = (
            int(str(self.translated.values.get(name, default)))
            for name, (default, _) in REQUEST_LIMITS.items()
        )
        head_timeout = float(str(self.translated.values.get(HEAD_TIMEOUT, DEFAULT_HEAD_TIMEOUT)))
        return RequestLimits(line, fields, field_size, head_timeout)

    def listeners(self) -> Listeners | None:
        """The sockets prodserver opens for uvicorn; None when uvicorn binds its own."""
        values = self.translated.values
        from ...runtime.uvicorn_runner import Listeners

        inherited = take_systemd_sockets()
        if inherited:
            return Listeners(inherited, from_systemd=True)
        if values.get("fd") is not None:
            return Listeners([socket_from_fd(int(str(values["fd"])))])
        if values.get("uds") and UDS_MODE in values:
            backlog = int(str(values.get("backlog", DEFAULT_BACKLOG)))
            mode = parse_mode(str(values[UDS_MODE]))
            return Listeners([bind_unix_socket(str(values["uds"]), mode, backlog)])
        return None


class UvicornWSGIServer(UvicornServer):
    """``uvicorn <WSGI_APPLICATION> --interface=wsgi <ARGS>`` in this process."""

    application_setting = "WSGI_APPLICATION"
    interface = "wsgi"


def uvicorn_bind(values: dict[str, OptionValue]) -> Bind:
    if values.get("uds"):
        mode = f" (mode {values[UDS_MODE]})" if UDS_MODE in values else ""
        return Bind(f"unix:{values['uds']}{mode}")
    if values.get("fd"):
        return Bind(f"fd://{values['fd']}")
    host = str(values.get("host", DEFAULT_HOST))
    return tcp_bind(host, values.get("port", DEFAULT_PORT), tls=bool(values.get("ssl-certfile")))


def environment_error(error: Exception) -> ServerEnvironmentError:
    return ServerEnvironmentError.from_parser(error, "uvicorn", "UVICORN")
