"""gunicorn's arbiter around our uvicorn worker (ASGI), or around its own workers (WSGI).

The command checks everything, then replaces itself (exec: same process, same PID) with a
gunicorn master that has not imported the project, exactly like ``gunicorn`` by hand.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from ..applications import application_import_string
from ..binding import check_bindable
from ..errors import ConflictingOptionsError, UnknownOptionError
from ..gunicorn_options import gunicorn_schema, settings_without_a_command_line_option
from ..listeners import systemd_socket_count
from ..options import OptionSchema, normalise_key
from ..redaction import redacted
from ..tls import TLSOptions, check_tls
from ..translation import TranslatedArgs, translate
from ..uvicorn_options import UDS_MODE, implementation, uvicorn_schema
from ..worker_options import ENVIRONMENT_VARIABLE as UVICORN_ARGS_VARIABLE
from ..worker_options import encode
from .base import BaseServerBackend, ServerDescription

MASTER_MODULE = "django_prodserver.gunicorn_master"
CONTEXT_VARIABLE = "PRODSERVER_GUNICORN_CONTEXT"
INHERITED_SOCKETS = ("GUNICORN_FD", "LISTEN_FDS")
CONTROL_SOCKET_OPTIONS = ("control-socket", "control-socket-mode", "no-control-socket")
DEFAULT_BIND = "127.0.0.1:8000"

UVICORN_WORKER = "django_prodserver.workers.UvicornWorker"
UVICORN_H11_WORKER = "django_prodserver.workers.UvicornH11Worker"

#: uvicorn options whose job gunicorn does under GunicornUvicornServer, and what to use.
GUNICORN_DOES_THIS: dict[str, str] = {
    "host": "use 'bind', e.g. 'bind': '0.0.0.0:8000'",
    "port": "use 'bind', e.g. 'bind': '0.0.0.0:8000'",
    "uds": "use 'bind': 'unix:/path/to.sock'",
    "fd": "use 'bind': 'fd://N'",
    "reload-dir": "use 'reload-extra-file'",
    "reload-include": "use 'reload-extra-file'",
    "reload-exclude": "gunicorn's reloader has no such option; remove it",
    "reload-delay": "gunicorn's reloader has no such option; remove it",
    "timeout-keep-alive": "use 'keep-alive'",
    "timeout-graceful-shutdown": "use 'graceful-timeout'",
    "limit-max-requests": "use 'max-requests'",
    "limit-max-requests-jitter": "use 'max-requests-jitter'",
    "timeout-worker-healthcheck": "use 'timeout'",
    "ssl-keyfile": "use 'keyfile'",
    "ssl-certfile": "use 'certfile'",
    "ssl-cert-reqs": "use 'cert-reqs'",
    "ssl-ca-certs": "use 'ca-certs'",
    "ssl-ciphers": "use 'ciphers'",
    "app-dir": "use 'chdir' or 'pythonpath'",
    "use-colors": "gunicorn's log handlers format the lines; remove it",
    "interface": "GunicornUvicornServer serves ASGI_APPLICATION over ASGI; remove it",
}

#: gunicorn options for its own HTTP and ASGI workers, which our uvicorn worker does not read.
FOR_GUNICORNS_OWN_WORKERS: dict[str, str] = {
    "asgi-loop": "use 'loop'",
    "asgi-lifespan": "use 'lifespan'",
    "websocket-max-message-size": "use 'ws-max-size'",
    "http-parser": "use 'http'",
    "asgi-disconnect-grace-period": "remove it",
    "threads": "our uvicorn worker runs one event loop per process; remove it",
}

#: prodserver's uvicorn-side option whose job gunicorn's own setting does.
UDS_MODE_ADVICE = (
    "use 'umask', e.g. 'umask': '0o007' for a socket only the owner and group can use "
    "(gunicorn creates it with mode 0o777 minus the umask)"
)

GUNICORN_TLS = TLSOptions(
    certfile="certfile", keyfile="keyfile", ca_certs="ca-certs", ciphers="ciphers", password=None
)
GUNICORN_UVICORN_TLS = TLSOptions(
    certfile="certfile",
    keyfile="keyfile",
    ca_certs="ca-certs",
    ciphers="ciphers",
    password="ssl-keyfile-password",
)


class GunicornServer(BaseServerBackend):
    """``gunicorn <WSGI_APPLICATION> <ARGS>``: gunicorn's own workers (sync, gthread, ...)."""

    program = "gunicorn"
    keep_alive = ("keep-alive", 2)
    application_setting: ClassVar[str] = "WSGI_APPLICATION"
    tls_options: ClassVar[TLSOptions] = GUNICORN_TLS

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return gunicorn_schema()

    def translate_arguments(self, arguments: Mapping[str, Any]) -> TranslatedArgs:
        for key in arguments:
            if isinstance(key, str) and normalise_key(key) == UDS_MODE:
                raise UnknownOptionError(
                    ("ARGS", key), "is an option of the uvicorn backends", UDS_MODE_ADVICE
                )
            if isinstance(key, str) and key in settings_without_a_command_line_option():
                raise UnknownOptionError(
                    ("ARGS", key),
                    "is a gunicorn setting with no command-line option",
                    "put it in a gunicorn config module and point 'config' at it, "
                    "e.g. 'config': 'python:mysite.gunicorn_conf'",
                )
        return translate(arguments, self.option_schema())

    def validate(self) -> None:
        check_tls(self.translated, self.tls_options)
        self.application = application_import_string(self.application_setting)

    def fixed_args(self) -> list[str]:
        """What this backend adds: the control socket off unless configured (gunicorn 27
        puts it under $HOME or $XDG_RUNTIME_DIR, shared by every master on the machine and
        missing in read-only containers)."""
        if gunicorn_schema().lookup("no-control-socket") is None:
            return []
        if any(option in self.translated.values for option in CONTROL_SOCKET_OPTIONS):
            return []
        return ["--no-control-socket"]

    def prep_server_args(self) -> list[str]:
        return [self.application, *self.fixed_args(), *self.args]

    def preflight(self) -> None:
        if any(variable in os.environ for variable in INHERITED_SOCKETS):
            return
        from gunicorn.util import parse_address

        binds = self.translated.values.get("bind") or [DEFAULT_BIND]
        for bind in binds if isinstance(binds, list) else [str(binds)]:
            address = parse_address(bind)
            if isinstance(address, tuple):
                check_bindable(str(address[0]), int(address[1]), ("ARGS",))

    def worker_environment(self, redact: bool = False) -> dict[str, str]:
        return {}

    def command_line(self, redact: bool = False) -> list[str]:
        environment = [f"{name}={value}" for name, value in self.worker_environment(redact).items()]
        return [*(["env", *environment] if environment else []), *super().command_line(redact)]

    def describe(self) -> ServerDescription:
        values = self.translated.values
        binds = values.get("bind") or [DEFAULT_BIND]
        scheme = "https" if values.get("certfile") else "http"
        inherited = systemd_socket_count()
        return ServerDescription(
            binds=[f"{inherited} socket(s) passed by systemd (LISTEN_FDS)"]
            if inherited
            else [
                bind if bind.startswith(("unix:", "fd://")) else f"{scheme}://{bind}"
                for bind in (binds if isinstance(binds, list) else [str(binds)])
            ],
            workers=str(values.get("workers") or os.environ.get("WEB_CONCURRENCY") or 1),
            worker_class=self.worker_class(),
            **self.event_loop(),
        )

    def worker_class(self) -> str:
        return str(self.translated.values.get("worker-class", "sync"))

    def event_loop(self) -> dict[str, str]:
        return {}

    def start_server(self, *args: str) -> None:
        os.environ.pop(UVICORN_ARGS_VARIABLE, None)
        os.environ.update(self.worker_environment())
        os.environ[CONTEXT_VARIABLE] = json.dumps(
            {
                "sys_path": [entry or os.getcwd() for entry in sys.path],
                "restart_args": [sys.executable, *sys.argv],
                "restart_cwd": os.getcwd(),
            }
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", MASTER_MODULE, *args])


@cache
def uvicorn_only_schema() -> OptionSchema:
    return uvicorn_schema().without(set(GUNICORN_DOES_THIS) | set(gunicorn_schema().names()))


class GunicornUvicornServer(GunicornServer):
    """gunicorn's arbiter running our UvicornWorker on ASGI_APPLICATION. ARGS take every
    gunicorn option and every uvicorn option gunicorn has no name for."""

    application_setting = "ASGI_APPLICATION"
    tls_options = GUNICORN_UVICORN_TLS

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return gunicorn_schema().merged_with(uvicorn_only_schema(), "gunicorn")

    def translate_arguments(self, arguments: Mapping[str, Any]) -> TranslatedArgs:
        for key in arguments:
            name = normalise_key(str(key))
            advice = FOR_GUNICORNS_OWN_WORKERS.get(name) or (
                None if gunicorn_schema().lookup(name) else GUNICORN_DOES_THIS.get(name)
            )
            if advice:
                raise UnknownOptionError(
                    ("ARGS", str(key)),
                    "is not for GunicornUvicornServer, where gunicorn and our uvicorn worker "
                    "split the options",
                    advice,
                )
        translated = super().translate_arguments(arguments)
        keys = [str(key) for key in arguments]
        on_gunicorn = [key for key in keys if gunicorn_schema().lookup(key)]
        self.uvicorn_args = translated.argv_for([key for key in keys if key not in on_gunicorn])
        translated.argv = translated.argv_for(on_gunicorn)
        return translated

    def validate(self) -> None:
        self._check_worker_class()
        super().validate()

    def _check_worker_class(self) -> None:
        chosen = self.translated.values.get("worker-class")
        if chosen is None:
            return
        from gunicorn.util import load_class

        from ..workers import UvicornWorker

        worker_class = load_class(str(chosen), section="gunicorn.workers")
        if not (isinstance(worker_class, type) and issubclass(worker_class, UvicornWorker)):
            raise ConflictingOptionsError(
                self.translated.where("worker-class"),
                f"{chosen!r} is not one of our uvicorn workers",
                f"use {UVICORN_WORKER!r}, a subclass of it, or GunicornServer for gunicorn's "
                "own workers",
            )

    def worker_class(self) -> str:
        values = self.translated.values
        if "worker-class" in values:
            return str(values["worker-class"])
        if values.get("http") == "h11" or values.get("loop") == "asyncio":
            return UVICORN_H11_WORKER
        return UVICORN_WORKER

    def event_loop(self) -> dict[str, str]:
        values = self.translated.values
        h11 = self.worker_class() == UVICORN_H11_WORKER
        return {
            "loop": implementation("loop", str(values.get("loop", "asyncio" if h11 else "auto"))),
            "http": implementation("http", str(values.get("http", "h11" if h11 else "auto"))),
        }

    def fixed_args(self) -> list[str]:
        if "worker-class" in self.translated.values:
            return super().fixed_args()
        return [f"--worker-class={self.worker_class()}", *super().fixed_args()]

    def worker_environment(self, redact: bool = False) -> dict[str, str]:
        if not self.uvicorn_args:
            return {}
        return {
            UVICORN_ARGS_VARIABLE: encode(
                redacted(self.uvicorn_args) if redact else self.uvicorn_args
            )
        }
