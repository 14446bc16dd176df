"""The extension point: every backend, ours or a project's own, subclasses BaseServerBackend,
and declares here the facts the checks and the banner read from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..options.redaction import redacted
from ..options.schema import OptionSchema
from ..options.translation import OptionValue, TranslatedArgs, check_on_machine, translate
from .asgi_handler import HandlerChoice
from .health_options import HealthChoice
from .log_options import LogChoice
from .metrics_options import METRICS_BIND, MetricsChoice, check_metrics_address, metrics_choice
from .sockets import systemd_socket_count


@dataclass(frozen=True)
class KeepAlive:
    """A server's keep-alive option and its default, in seconds."""

    option: str
    default: int


@dataclass(frozen=True)
class GracefulTimeout:
    """A server's option for how long a graceful stop may take, and its default in seconds
    (None: it waits for ever)."""

    option: str
    default: float | None


@dataclass(frozen=True)
class Bind:
    """One address a server listens on, as the banner shows it; ``tcp`` when it is a TCP
    port (reachable from the network, unlike a UNIX socket or an inherited descriptor)."""

    shown: str
    tcp: bool = False
    #: A TCP address on the loopback interface only (not reachable from other machines).
    loopback: bool = False

    def __str__(self) -> str:
        return self.shown


@dataclass(frozen=True)
class ServerDescription:
    """What the start-up banner says about a server; None where a backend cannot tell."""

    binds: list[Bind] = field(default_factory=list)
    workers: str | None = None
    worker_class: str | None = None
    loop: str | None = None
    http: str | None = None
    #: The Django handler, where a backend can serve another than Django's own.
    handler: str | None = None


class BaseServerBackend:
    """A server started by ``manage.py prodserver``.

    ``__init__`` receives the process's configuration (``BACKEND`` and ``ARGS``) and
    translates ``ARGS`` into ``self.args``. ``prep_server_args()`` returns the full
    argument list and ``start_server(*args)`` runs the server with it, in this process.

    A backend whose ``option_schema()`` returns a schema gets every key and value
    checked against it; without one, ``ARGS`` become ``--key=value`` as given.
    Raise ``ConfigurationError`` from ``validate()`` for a mistake in the setting, from
    ``check_environment()`` for one in this machine's files or environment, and from
    ``preflight()`` for what can only be known just before start (is the port free?).
    """

    #: The program the argument list is for, as shown by ``prodserver --list``.
    program: ClassVar[str] = ""
    #: The Python distribution that provides it, where its name differs (for versions).
    distribution: ClassVar[str] = ""
    #: The setting naming the application served (``ASGI_APPLICATION``), if any.
    application_setting: ClassVar[str | None] = None
    #: The keep-alive option and its default, for the deploy checks.
    keep_alive: ClassVar[KeepAlive | None] = None
    #: The graceful-stop timeout option and its default, which a drain delay comes out of.
    graceful_timeout: ClassVar[GracefulTimeout | None] = None
    #: The option listing the proxies whose X-Forwarded-* headers are trusted.
    trusted_proxies_option: ClassVar[str | None] = None
    #: The on/off option that makes the server read proxy headers, where it has one.
    proxy_headers_option: ClassVar[str | None] = None
    #: The option that restarts the server on code changes (development only).
    reload_option: ClassVar[str | None] = None
    #: Whether the server serves the sockets systemd passes (LISTEN_FDS) in place of its
    #: own addresses.
    takes_systemd_sockets: ClassVar[bool] = False
    #: Whether the process answers HTTP (a web server) or not (a task worker, a scheduler):
    #: ``--list``, the banner and the checks about proxies, hosts and static files read it.
    serves_http: ClassVar[bool] = True
    #: A development server (``runserver``): ``check --deploy`` warns when one is configured.
    for_development: ClassVar[bool] = False
    #: The process keys this backend reads besides ``BACKEND`` and ``ARGS`` (Celery's
    #: ``APP``, a management command's ``COMMAND``), each with what it holds, for errors.
    process_keys: ClassVar[Mapping[str, str]] = {}
    #: The Django handler the process serves: Django's own unless an ASGI backend's ARGS
    #: choose prodserver's (``asgi_handler.py``).
    handler: HandlerChoice = HandlerChoice()
    #: How the process logs: the servers' text or JSON lines, and our access-line format
    #: where the server has none of its own (``log_options.py``).
    logs: LogChoice = LogChoice()
    #: The health paths the server answers itself and its drain delay (``health_options.py``).
    health: HealthChoice = HealthChoice()
    #: Where the server's Prometheus metrics are served, if anywhere (``metrics_options.py``).
    metrics: MetricsChoice = MetricsChoice()

    def __init__(self, **server_args: Any) -> None:
        self.server_args = server_args
        #: What the command tells the user besides the banner (where the application
        #: came from, say), one line each.
        self.notes: list[str] = []
        arguments: Mapping[str, Any] = server_args.get("ARGS") or {}
        self.translated: TranslatedArgs = self.translate_arguments(arguments)
        self.args: list[str] = self.server_argv()
        self.validate()

    @classmethod
    def option_schema(cls) -> OptionSchema | None:
        return None

    @classmethod
    def schema_for(cls, process: Mapping[str, Any]) -> OptionSchema | None:
        """The schema of the program ``process`` (its BACKEND, ARGS and other keys) runs;
        the backend's one ``option_schema()`` unless the program depends on a process key
        (the management command named by ``COMMAND``)."""
        return cls.option_schema()

    @classmethod
    def serves_asgi(cls) -> bool:
        return cls.application_setting == "ASGI_APPLICATION"

    @classmethod
    def command_line_overrides(
        cls, args: Mapping[str, Any], overrides: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """``prodserver NAME -- --option value`` overrides as ARGS entries, and for each
        entry the command-line option it came from (for errors). A backend whose options
        differ from the common ``--host``/``--port`` (gunicorn's ``bind``) maps them here."""
        return overrides, {key: key for key in overrides}

    def translate_arguments(self, arguments: Mapping[str, Any]) -> TranslatedArgs:
        return translate(arguments, self.schema_for(self.server_args))

    def server_argv(self) -> list[str]:
        """The translated arguments the program itself takes (all of them, unless the
        schema gives some options to another component)."""
        return list(self.translated.argv)

    def validate(self) -> None:
        """Checks across several options, run once ARGS are translated."""

    def check_environment(self) -> None:
        """Checks against the files and environment of the machine the process runs on.

        Run by ``prodserver`` and ``check --deploy``, not by every ``manage.py`` command, so
        that a build or migration job without the production files is not blocked."""
        check_on_machine(self.translated)

    def preflight(self) -> None:
        """Checks against this machine (is the port free?), run just before start."""

    def preflight_metrics(self) -> None:
        """The metrics address, checked as the server's own is (``preflight()``)."""
        if self.metrics.bind is not None:
            check_metrics_address(self.metrics, self.translated.where(METRICS_BIND))

    def inherited_sockets(self) -> int:
        """How many sockets systemd passed this process for the server to serve."""
        return systemd_socket_count() if self.takes_systemd_sockets else 0

    def prep_server_args(self) -> list[str]:
        return list(self.args)

    def start_server(self, *args: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement start_server()")

    def command_line(self, redact: bool = False) -> list[str]:
        """The equivalent command, program first; secret values masked when ``redact``."""
        argv = [self.program or type(self).__name__, *self.prep_server_args()]
        return redacted(argv) if redact else argv

    def describe(self) -> ServerDescription:
        return ServerDescription()

    def effective_values(self) -> dict[str, OptionValue]:
        """The options as the server will see them: ARGS, and what the server's own
        environment variables set for options ARGS leave unset."""
        return dict(self.translated.values)

    def environment_source(self) -> str:
        """Where the server reads options from its environment, for messages."""
        return "the environment"

    def slow_clients_block_workers(self) -> bool:
        """Whether a client that sends slowly holds a whole worker (or thread) meanwhile, so
        that a few slow clients can block every worker without a buffering proxy in front."""
        return False

    def keep_alive_seconds(self) -> int | None:
        """The keep-alive the server will use: the configured one, or its default."""
        if self.keep_alive is None:
            return None
        configured = self.translated.values.get(self.keep_alive.option)
        return int(str(configured)) if configured is not None else self.keep_alive.default

    def metrics_choice(self) -> MetricsChoice:
        """``metrics-bind`` as ARGS give it, on a port of its own (not one the server
        listens on)."""
        if METRICS_BIND not in self.translated.values:
            return MetricsChoice()
        ports = [
            int(bind.shown.rsplit(":", 1)[1])
            for bind in self.describe().binds
            if bind.tcp and bind.shown.rsplit(":", 1)[1].isdigit()
        ]
        return metrics_choice(self.translated, self.distribution or self.program, ports)

    def graceful_timeout_seconds(self) -> float | None:
        """The graceful timeout the server will use (None: unlimited, or not declared)."""
        if self.graceful_timeout is None:
            return None
        configured = self.effective_values().get(self.graceful_timeout.option)
        if configured is None:
            return self.graceful_timeout.default
        return float(str(configured))


def tcp_bind(host: str, port: object, tls: bool) -> Bind:
    """``http://host:port`` (``https`` with TLS, brackets around an IPv6 host)."""
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if tls else "http"
    return Bind(f"{scheme}://{shown}:{port}", tcp=True, loopback=is_loopback(host))


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")
