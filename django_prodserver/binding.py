"""Check, just before start, that the server will be able to bind its address."""

from __future__ import annotations

import errno
import socket

from .errors import ConfigurationError


def check_bindable(host: str, port: int, where: tuple[str, ...]) -> None:
    """Bind and release ``host:port`` the way the server will (SO_REUSEADDR, so a port
    in TIME_WAIT counts as free), turning failures into one-line errors."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as error:
            raise ConfigurationError(
                (*where, "host"),
                f"{host!r} cannot be resolved ({error.strerror})",
                "use an IP address such as '0.0.0.0' or '127.0.0.1' (the port goes in 'port')",
            ) from error
        except OSError as error:
            raise _bind_error(error, address, host, port, where) from error


def _bind_error(
    error: OSError, address: str, host: str, port: int, where: tuple[str, ...]
) -> ConfigurationError:
    if error.errno == errno.EADDRINUSE:
        return ConfigurationError(
            (*where, "port"),
            f"{address} is already in use by another process",
            "stop that process or choose another port",
        )
    if error.errno == errno.EACCES:
        return ConfigurationError(
            (*where, "port"),
            f"permission denied binding {address} (ports below 1024 need privileges)",
            "use a port from 1024 up behind a proxy, or grant CAP_NET_BIND_SERVICE",
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return ConfigurationError(
            (*where, "host"),
            f"{host!r} is not an address of this machine",
            "use '0.0.0.0' for every interface or '127.0.0.1' for this machine only",
        )
    return ConfigurationError(
        (*where, "port"), f"{address} cannot be bound ({error.strerror})", "choose another address"
    )
