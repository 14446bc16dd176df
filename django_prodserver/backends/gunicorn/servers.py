"""gunicorn's arbiter around our uvicorn worker (ASGI), or around its own workers (WSGI).

The command checks everything, then replaces itself (exec: same process, same PID) with a
gunicorn master that has not imported the project, exactly like ``gunicorn`` by hand.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from ..._compat import gunicorn_has_control_socket
from ...errors import (
    ConfigurationError,
    ConflictingOptionsError,
    InvalidValueError,
    ServerEnvironmentError,
)
from ...options.overrides import parse_overrides
from ...options.redaction import redacted, redacted_assignment
from ...options.schema import OptionSchema, normalise_key
from ...options.translation import OptionValue, TranslatedArgs, translate
from ...runtime.worker_args import ENVIRONMENT_VARIABLE as UVICORN_ARGS_VARIABLE
from ...runtime.worker_args import encode
from ..applications import check_lifespan, find_application
from ..asgi_handler import check_handler_environment, handler_choice
from ..base import (
    BaseServerBackend,
    Bind,
    GracefulTimeout,
    KeepAlive,
    ServerDescription,
    is_loopback,
)
from ..health_options import health_choice
from ..log_options import log_choice
from ..sockets import check_bindable, check_systemd_sockets, check_unix_socket_path
from ..tls import TLSOptions, check_tls
from ..uvicorn.schema import implementation
from .schema import (
    OURS_INSTEAD_OF,
    UVICORN_H11_WORKER,
    UVICORN_WORKER,
    gunicorn_schema,
    gunicorn_uvicorn_schema,
    gunicorn_wsgi_schema,
    is_asgi_worker,
    load_worker_class,
)

MASTER_MODULE = "django_prodserver.runtime.gunicorn_master"
CONTEXT_VARIABLE = "PRODSERVER_GUNICORN_CONTEXT"
CONTROL_SOCKET_OPTIONS = ("control-socket", "control-socket-mode", "no-control-socket")
DEFAULT_BIND = "127.0.0.1:8000"
#: Options that tell gunicorn where access lines go (or that its logging is configured).
ACCESS_LOG_DESTINATIONS = ("access-logfile", "log-config", "log-config-json", "log-syslog")
JSON_LOGGER = "django_prodserver.runtime.gunicorn_json_logger.JsonGunicornLogger"


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


def _with_address(bind: str, address: dict[str, tuple[str, Any]]) -> str:
    """``bind`` with the host and port given on the command line, where it is a TCP one."""
    if bind.startswith(("unix:", "fd://")):
        return bind
    host, _, port = bind.rpartition(":") if ":" in bind else (bind, "", "8000")
    host = str(address["host"][1]) if "host" in address else host
    port = str(address["port"][1]) if "port" in address else port
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


#: gunicorn's workers that hold a worker (or thread) while a client sends its request.
BLOCKING_WORKERS = (
    "sync",
    "gthread",
    "gunicorn.workers.sync.SyncWorker",
    "gunicorn.workers.gthread.ThreadWorker",
)
CMD_ARGS_VARIABLE = "GUNICORN_CMD_ARGS"
_CMD_ARGS_FIX = (
    "gunicorn reads it as options under ARGS: fix or unset the variable, or set the option in ARGS"
)


def _split_cmd_args(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as error:
        raise ServerEnvironmentError(
            (), f"cannot be split into options ({error})", _CMD_ARGS_FIX, setting=CMD_ARGS_VARIABLE
        ) from error


class GunicornServer(BaseServerBackend):
    """``gunicorn <WSGI_APPLICATION> <ARGS>``: gunicorn's own workers (sync, gthread, ...)."""

    program = "gunicorn"
    application_setting: ClassVar[str] = "WSGI_APPLICATION"
    keep_alive = KeepAlive("keep-alive", 2)
    graceful_timeout = GracefulTimeout("graceful-timeout", 30)
    trusted_proxies_option = "forwarded-allow-ips"
    reload_option = "reload"
    takes_systemd_sockets = True
    tls_options: ClassVar[TLSOptions] = GUNICORN_TLS

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return gunicorn_wsgi_schema()

    @classmethod
    def command_line_overrides(
        cls, args: Mapping[str, Any], overrides: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """``-- --port $PORT`` (a Procfile's idiom) and ``-- --host H`` change the port and
        host of each TCP address in ``bind``: the configured one, or gunicorn's default."""
        address = {
            normalise_key(key): (key, value)
            for key, value in overrides.items()
            if normalise_key(key) in ("host", "port")
        }
        if not address:
            return super().command_line_overrides(args, overrides)
        kept = {key: value for key, value in overrides.items() if normalise_key(key) not in address}
        origins = {key: key for key in kept}
        schema = cls.option_schema()
        configured = [
            value
            for source in (args, kept)
            for key, value in source.items()
            if isinstance(key, str)
            and (found := schema.lookup(key))
            and found.option.name == "bind"
        ]
        binds = configured[-1] if configured else DEFAULT_BIND
        listed = [str(bind) for bind in (binds if isinstance(binds, list) else [binds])]
        origins["bind"] = " ".join(key for key, _ in address.values())
        if all(bind.startswith(("unix:", "fd://")) for bind in listed):
            raise InvalidValueError(
                ("ARGS", next(key for key, _ in address.values())),
                f"bind {', '.join(listed)} has no TCP address to change",
                "bind a host:port in ARGS, or override the whole of it with -- --bind HOST:PORT",
            )
        kept["bind"] = [_with_address(bind, address) for bind in listed]
        return kept, origins

    def server_argv(self) -> list[str]:
        """gunicorn's options, but for ``env``: its assignments go into the environment of
        the process we exec, where gunicorn would put them, so that no secret is on a
        command line (``/proc/PID/cmdline`` is readable by every local user)."""
        return [
            argument
            for argument in self.translated.argv_of("gunicorn")
            if not argument.startswith("--env=")
        ]

    def process_environment(self, redact: bool = False) -> dict[str, str]:
        """The ``env`` assignments of ARGS, for the gunicorn master and its workers."""
        assignments = self.translated.values.get("env") or []
        environment = {}
        for assignment in assignments if isinstance(assignments, list) else [assignments]:
            shown = redacted_assignment(str(assignment)) if redact else str(assignment)
            name, _, value = shown.partition("=")
            environment[name.strip()] = value
        return environment

    def validate(self) -> None:
        self._check_worker_interface()
        self.logs = log_choice(self.translated, "access-logformat")
        self.health = health_choice(self.translated)
        if self.logs.json_lines and "logger-class" in self.translated.values:
            raise ConflictingOptionsError(
                self.translated.where("logger-class"),
                "replaces gunicorn's logger, and 'log-format': 'json' needs prodserver's",
                "remove 'logger-class', or 'log-format' and format the lines in your class",
            )
        application = find_application(self.application_setting)
        check_lifespan(self.translated, application)
        self.application = application.import_string
        self.metrics = self.metrics_choice()
        if application.origin:
            self.notes.append(application.origin)

    def check_environment(self) -> None:
        super().check_environment()
        check_tls(self.translated, self.tls_options)
        self.environment_args()

    def _check_worker_interface(self) -> None:
        chosen = self.translated.values.get("worker-class")
        if chosen is not None and is_asgi_worker(str(chosen)):
            raise ConflictingOptionsError(
                self.translated.where("worker-class"),
                f"{chosen!r} runs ASGI applications, and GunicornServer serves "
                "WSGI_APPLICATION (every request would fail)",
                "use django_prodserver.backends.gunicorn.GunicornUvicornServer for ASGI, or a "
                "WSGI worker such as 'sync' or 'gthread'",
            )

    def fixed_args(self) -> list[str]:
        """What this backend adds: the control socket off unless configured (gunicorn 27
        puts it under $HOME or $XDG_RUNTIME_DIR, shared by every master on the machine and
        missing in read-only containers); for JSON lines, our logger class; and access
        lines on stdout when a format is given without a file."""
        fixed = self.log_args()
        if not gunicorn_has_control_socket():
            return fixed
        if any(option in self.translated.values for option in CONTROL_SOCKET_OPTIONS):
            return fixed
        return [*fixed, "--no-control-socket"]

    def log_args(self) -> list[str]:
        fixed = [f"--logger-class={JSON_LOGGER}"] if self.logs.json_lines else []
        configured = self.effective_values()
        if self.access_lines_by_default() and not any(
            option in configured for option in ACCESS_LOG_DESTINATIONS
        ):
            fixed.append("--access-logfile=-")
        return fixed

    def access_lines_by_default(self) -> bool:
        """gunicorn writes access lines only to an ``accesslog``; a format given in ARGS
        asks for them, on stdout unless ``accesslog`` says where."""
        return self.logs.access_log_format is not None

    def prep_server_args(self) -> list[str]:
        return [self.application, *self.fixed_args(), *self.args]

    def preflight(self) -> None:
        if check_systemd_sockets() or "GUNICORN_FD" in os.environ:
            return
        from gunicorn.util import parse_address

        binds = self.translated.values.get("bind") or [DEFAULT_BIND]
        for bind in binds if isinstance(binds, list) else [str(binds)]:
            address = parse_address(bind)
            where = self.translated.where("bind")
            if isinstance(address, str):
                # gunicorn would unlink a live server's socket at that path and bind its own.
                check_unix_socket_path(address, where)
            if isinstance(address, tuple):
                check_bindable(str(address[0]), int(address[1]), where, where)

    def worker_environment(self, redact: bool = False) -> dict[str, str]:
        return {
            **self.logs.environment(),
            **self.health.environment(),
            **self.metrics.environment(),
        }

    def command_line(self, redact: bool = False) -> list[str]:
        from_environment = {}
        if os.environ.get(CMD_ARGS_VARIABLE, "").strip():
            tokens = _split_cmd_args(os.environ[CMD_ARGS_VARIABLE])
            from_environment[CMD_ARGS_VARIABLE] = shlex.join(redacted(tokens) if redact else tokens)
        environment = [
            f"{name}={value}"
            for name, value in {
                **from_environment,
                **self.process_environment(redact),
                **self.worker_environment(redact),
            }.items()
        ]
        return [*(["env", *environment] if environment else []), *super().command_line(redact)]

    def environment_args(self) -> TranslatedArgs | None:
        """``$GUNICORN_CMD_ARGS``, which gunicorn reads as options under the command line's,
        checked as ARGS are; None when it is not set."""
        text = os.environ.get(CMD_ARGS_VARIABLE, "")
        if not text.strip():
            return None
        tokens = _split_cmd_args(text)
        try:
            return translate(parse_overrides(tokens, gunicorn_schema()), gunicorn_schema())
        except ConfigurationError as error:
            option = f"{error.keys[1]}: " if error.keys[:1] == ("ARGS",) else ""
            raise ServerEnvironmentError(
                (),
                f"{option}{error.problem}",
                f"{error.fix} ({_CMD_ARGS_FIX})",
                setting=CMD_ARGS_VARIABLE,
            ) from error

    def effective_values(self) -> dict[str, OptionValue]:
        try:
            from_environment = self.environment_args()
        except ConfigurationError:  # reported by check_environment()
            from_environment = None
        return {**(from_environment.values if from_environment else {}), **self.translated.values}

    def environment_source(self) -> str:
        return CMD_ARGS_VARIABLE

    def describe(self) -> ServerDescription:
        values = self.translated.values
        binds = values.get("bind") or [DEFAULT_BIND]
        scheme = "https" if values.get("certfile") else "http"
        inherited = self.inherited_sockets()
        return ServerDescription(
            binds=[Bind(f"{inherited} socket(s) passed by systemd (LISTEN_FDS)")]
            if inherited
            else [
                Bind(bind)
                if bind.startswith(("unix:", "fd://"))
                else Bind(
                    f"{scheme}://{bind}",
                    tcp=True,
                    loopback=is_loopback(bind.rpartition(":")[0].strip("[]")),
                )
                for bind in (binds if isinstance(binds, list) else [str(binds)])
            ],
            workers=str(values.get("workers") or os.environ.get("WEB_CONCURRENCY") or 1),
            worker_class=self.worker_class(),
            **self.event_loop(),
        )

    def worker_class(self) -> str:
        return str(self.translated.values.get("worker-class", "sync"))

    def slow_clients_block_workers(self) -> bool:
        """gunicorn's sync and gthread workers read each request in a worker or thread."""
        return self.worker_class() in BLOCKING_WORKERS

    def event_loop(self) -> dict[str, str]:
        return {}

    def start_server(self, *args: str) -> None:
        os.environ.pop(UVICORN_ARGS_VARIABLE, None)
        os.environ.update(self.process_environment())
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


class GunicornUvicornServer(GunicornServer):
    """gunicorn's arbiter running our UvicornWorker on ASGI_APPLICATION. ARGS take every
    gunicorn option and every uvicorn option gunicorn has no name for."""

    application_setting = "ASGI_APPLICATION"
    proxy_headers_option = "proxy-headers"
    tls_options = GUNICORN_UVICORN_TLS

    @classmethod
    def option_schema(cls) -> OptionSchema:
        return gunicorn_uvicorn_schema()

    def validate(self) -> None:
        super().validate()
        self.handler = handler_choice(self.translated)

    def check_environment(self) -> None:
        super().check_environment()
        check_handler_environment()

    def prep_server_args(self) -> list[str]:
        target, *rest = super().prep_server_args()
        return [self.handler.target(target), *rest]

    def describe(self) -> ServerDescription:
        return replace(super().describe(), handler=self.handler.described())

    def slow_clients_block_workers(self) -> bool:
        return False  # our worker reads requests on its event loop

    @property
    def uvicorn_args(self) -> list[str]:
        """The options our uvicorn worker reads, passed to it in $PRODSERVER_UVICORN_ARGS."""
        return self.translated.argv_of("uvicorn")

    def _check_worker_interface(self) -> None:
        chosen = self.translated.values.get("worker-class")
        if chosen is None:
            return
        from ...workers import UvicornWorker

        worker_class = load_worker_class(str(chosen))
        if isinstance(worker_class, type) and issubclass(worker_class, UvicornWorker):
            return
        where = self.translated.where("worker-class")
        ours = OURS_INSTEAD_OF.get(str(chosen))
        if ours:
            raise ConflictingOptionsError(
                where,
                f"{chosen!r} is uvicorn's worker; GunicornUvicornServer runs our own",
                f"use {ours!r}, or remove 'worker-class'",
            )
        if is_asgi_worker(str(chosen)):
            raise ConflictingOptionsError(
                where,
                f"{chosen!r} is not one of our uvicorn workers",
                f"use {UVICORN_WORKER!r} or a subclass of it, or remove 'worker-class'",
            )
        raise ConflictingOptionsError(
            where,
            f"{chosen!r} runs WSGI applications, and GunicornUvicornServer serves ASGI_APPLICATION",
            "use django_prodserver.backends.gunicorn.GunicornServer for gunicorn's own "
            "workers, or remove 'worker-class' (our uvicorn worker is the default)",
        )

    def worker_class(self) -> str:
        values = self.translated.values
        if "worker-class" in values:
            return str(values["worker-class"])
        if values.get("http") == "h11" or values.get("loop") == "asyncio":
            return UVICORN_H11_WORKER
        return UVICORN_WORKER

    def event_loop(self) -> dict[str, str]:
        """What the worker will run: ARGS first, then the worker class's CONFIG_KWARGS."""
        values = self.translated.values
        try:
            defaults = getattr(load_worker_class(self.worker_class()), "CONFIG_KWARGS", {})
        except Exception:
            defaults = {}
        return {
            option: implementation(option, str(values.get(option, defaults.get(option, "auto"))))
            for option in ("loop", "http")
        }

    def fixed_args(self) -> list[str]:
        if "worker-class" in self.translated.values:
            return super().fixed_args()
        return [f"--worker-class={self.worker_class()}", *super().fixed_args()]

    def access_lines_by_default(self) -> bool:
        """As uvicorn by hand: access lines on stdout unless ``no-access-log``."""
        return self.translated.values.get("access-log") is not False

    def worker_environment(self, redact: bool = False) -> dict[str, str]:
        environment = {
            **super().worker_environment(redact),
            **self.handler.environment(self.application),
        }
        if self.uvicorn_args:
            environment[UVICORN_ARGS_VARIABLE] = encode(
                redacted(self.uvicorn_args) if redact else self.uvicorn_args
            )
        return environment
