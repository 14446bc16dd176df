"""waitress serving the project's WSGI application: pure Python, the choice on Windows."""

from __future__ import annotations

import logging
import os
from typing import Any, ClassVar

from ...options.schema import OptionSchema
from ..applications import find_application
from ..asgi_handler import with_environment
from ..base import (
    BaseServerBackend,
    Bind,
    GracefulTimeout,
    ServerDescription,
    is_loopback,
    tcp_bind,
)
from ..health_options import health_choice
from ..log_options import log_choice
from ..sockets import check_bindable, check_unix_socket_path
from .schema import DEFAULT_GRACEFUL_TIMEOUT, GRACEFUL_TIMEOUT, waitress_schema

#: waitress's own defaults: it listens on every interface, port 8080.
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8080


class WaitressServer(BaseServerBackend):
    """``waitress-serve <ARGS> <WSGI_APPLICATION>`` in this process, with a graceful stop."""

    program = "waitress-serve"
    distribution = "waitress"
    application_setting: ClassVar[str] = "WSGI_APPLICATION"
    trusted_proxies_option = "trusted-proxy"
    graceful_timeout = GracefulTimeout(GRACEFUL_TIMEOUT, DEFAULT_GRACEFUL_TIMEOUT)

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return waitress_schema()

    def validate(self) -> None:
        self.logs = log_choice(self.translated)
        self.health = health_choice(self.translated)
        application = find_application(self.application_setting)
        self.application = application.import_string
        self.metrics = self.metrics_choice()
        if application.origin:
            self.notes.append(application.origin)

    def server_argv(self) -> list[str]:
        return self.translated.argv_of("waitress-serve")

    def prep_server_args(self) -> list[str]:
        return [*self.args, self.application]  # module:attribute, as waitress-serve takes it

    def preflight(self) -> None:
        values = self.translated.values
        if values.get("unix-socket"):
            check_unix_socket_path(str(values["unix-socket"]))
            return
        if values.get("listen"):
            return  # waitress reports an address it cannot listen on itself
        check_bindable(
            str(values.get("host", DEFAULT_HOST)),
            int(str(values.get("port", DEFAULT_PORT))),
            self.translated.where("host"),
            self.translated.where("port"),
        )

    def binds(self) -> list[Bind]:
        values = self.translated.values
        if values.get("unix-socket"):
            return [Bind(f"unix:{values['unix-socket']}")]
        listen = values.get("listen")
        if listen:
            addresses = (
                [a for item in listen for a in str(item).split()]
                if isinstance(listen, list)
                else str(listen).split()
            )
            return [
                Bind(f"http://{a}", tcp=True, loopback=is_loopback(a.rsplit(":", 1)[0].strip("[]")))
                for a in addresses
            ]
        host = str(values.get("host", DEFAULT_HOST))
        return [tcp_bind(host, values.get("port", DEFAULT_PORT), tls=False)]

    def describe(self) -> ServerDescription:
        threads = self.translated.values.get("threads", 4)
        return ServerDescription(binds=self.binds(), workers="1", worker_class=f"{threads} threads")

    def start_server(self, *args: str) -> None:
        from django.utils.module_loading import import_string
        from waitress.adjustments import Adjustments

        from ...runtime.access_log import AccessLineWriter
        from ...runtime.health import HealthPaths, with_wsgi_health_paths
        from ...runtime.metrics import record_worker_start, with_request_metrics
        from ...runtime.metrics_endpoint import MetricsEndpoint
        from ...runtime.waitress_runner import serve
        from ...runtime.wsgi_access_log import WSGIAccessLog

        options, _ = Adjustments.parse_args(list(args[:-1]))
        options.pop("help", None)
        options.pop("call", None)
        os.environ.update(self.logs.environment())
        os.environ.update(self.health.environment())
        os.environ.update(self.metrics.environment())
        endpoint = MetricsEndpoint.from_environment(logging.getLogger("waitress"))
        application = import_string(self.application.replace(":", "."))
        access_log = None
        if self.logs.our_access_lines:
            writer = AccessLineWriter(
                self.logs.line_format, self.logs.json_lines, self.logs.request_id_header
            )

            def access_log(app: Any) -> Any:
                return WSGIAccessLog(app, writer)

        if endpoint is not None:
            record_worker_start()
            application = with_request_metrics(application, wsgi=True)
        application = with_wsgi_health_paths(
            application, HealthPaths.from_environment(), access_log
        )
        graceful = self.graceful_timeout_seconds() or DEFAULT_GRACEFUL_TIMEOUT
        serve(application, options, graceful, access_lines=self.logs.our_access_lines)

    def command_line(self, redact: bool = False) -> list[str]:
        return with_environment(self.logs.environment(), super().command_line(redact))
