"""``"metrics-bind"`` on every HTTP backend: where prodserver serves Prometheus metrics
(``runtime/metrics.py``), a ``host:port`` or ``unix:PATH``. Off unless set, and never on
the server's own address: the figures are for the operator, not the site's visitors.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from importlib.util import find_spec

from ..errors import BackendError, ConflictingOptionsError
from ..options.schema import InvalidValue, OptionSchema, ServerOption
from ..options.translation import TranslatedArgs
from ..runtime.metrics import BIND_VARIABLE, SERVER_VARIABLE

METRICS_BIND = "metrics-bind"
INSTALL_HINT = 'pip install "django-prodserver[metrics]" (prometheus-client)'


@dataclass(frozen=True)
class MetricsAddress:
    """A parsed ``metrics-bind``: a UNIX socket path, or a TCP host and port."""

    unix_path: str | None = None
    host: str = ""
    port: int = 0

    @classmethod
    def parse(cls, value: str) -> MetricsAddress:
        if value.startswith("unix:"):
            path = value[len("unix:") :]
            if not path.startswith("/"):
                raise InvalidValue(
                    f"{value!r} is not a UNIX socket address", "give 'unix:/an/absolute/path'"
                )
            return cls(unix_path=path)
        host, _, port = value.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidValue(
                f"{value!r} is not an address to serve metrics on",
                "give a loopback host:port such as '127.0.0.1:9100', or "
                "'unix:/run/app/metrics.sock'",
            )
        return cls(host=host, port=int(port))

    @property
    def loopback(self) -> bool:
        if self.unix_path is not None or self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def check_metrics_bind(value: str) -> None:
    MetricsAddress.parse(value)


METRICS_OPTIONS = OptionSchema(
    "prodserver",
    [
        ServerOption(
            METRICS_BIND,
            takes_value=True,
            validate=check_metrics_bind,
            help="Where to serve Prometheus metrics (requests by method and status, "
            "durations, in-flight requests, bytes, worker starts and exits, versions): a "
            "loopback host:port or unix:PATH. Off unless set.",
        ),
    ],
)


@dataclass(frozen=True)
class MetricsChoice:
    bind: str | None = None
    server: str = ""

    def environment(self) -> dict[str, str]:
        if self.bind is None:
            return {}
        return {BIND_VARIABLE: self.bind, SERVER_VARIABLE: self.server}

    @property
    def address(self) -> MetricsAddress | None:
        return MetricsAddress.parse(self.bind) if self.bind else None


def check_metrics_address(choice: MetricsChoice, where: tuple[str, ...]) -> None:
    """Before start: the metrics address can be bound (a port not in use, a socket path
    in a writable directory that no live server owns)."""
    from .sockets import check_bindable, check_unix_socket_path

    address = choice.address
    if address is None:
        return
    if address.unix_path is not None:
        check_unix_socket_path(address.unix_path, where)
    else:
        check_bindable(address.host, address.port, where, where)


def metrics_choice(
    translated: TranslatedArgs, server: str, server_ports: list[int]
) -> MetricsChoice:
    """The choice ARGS make; a metrics port that is one of the server's is refused."""
    bind = translated.values.get(METRICS_BIND)
    if bind is None:
        return MetricsChoice()
    address = MetricsAddress.parse(str(bind))
    if address.unix_path is None and address.port in server_ports:
        raise ConflictingOptionsError(
            translated.where(METRICS_BIND),
            f"is port {address.port}, where the server itself listens",
            "give the metrics a port of their own, e.g. '127.0.0.1:9100'",
        )
    if find_spec("prometheus_client") is None:
        raise BackendError(
            translated.where(METRICS_BIND),
            "needs prometheus-client, which is not installed",
            INSTALL_HINT,
        )
    return MetricsChoice(bind=str(bind), server=server)
