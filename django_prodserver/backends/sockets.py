"""The listening sockets of a process, before it starts: that its address can be bound,
the sockets systemd passes (``LISTEN_FDS``), an inherited ``fd`` of any family, and UNIX
sockets with a chosen mode, which prodserver opens itself and hands to uvicorn.

uvicorn opens every file descriptor as ``AF_UNIX``, so a TCP socket passed with ``--fd``
reports garbage client addresses; a socket built from the descriptor itself does not.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from collections.abc import MutableMapping

from ..errors import ROOT_SETTING, ConfigurationError, ConflictingOptionsError

SD_LISTEN_FDS_START = 3
SYSTEMD_VARIABLES = ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES")


def systemd_socket_count(environ: MutableMapping[str, str] = os.environ) -> int:
    """How many sockets systemd passed to this very process (0 when none, or when the
    variables were meant for another process, as ``sd_listen_fds`` decides)."""
    try:
        listen_pid = int(environ.get("LISTEN_PID", "0"))
        count = int(environ.get("LISTEN_FDS", "0"))
    except ValueError:
        return 0
    return count if listen_pid == os.getpid() and count > 0 else 0


def take_systemd_sockets(environ: MutableMapping[str, str] = os.environ) -> list[socket.socket]:
    """The sockets systemd passed, with the variables removed so that no worker process
    mistakes them for its own."""
    count = systemd_socket_count(environ)
    for variable in SYSTEMD_VARIABLES:
        environ.pop(variable, None)
    return [socket_from_fd(fd) for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + count)]


def socket_from_fd(fd: int) -> socket.socket:
    """The listening socket open on ``fd``, with its real family (TCP, TCP6 or UNIX)."""
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    return sock


MANAGER_FIX = (
    "start prodserver from the process manager that opens the socket "
    "(supervisor's fcgi-program, circus with use_sockets) or bind with host/port"
)
SYSTEMD_FIX = "start the service from its socket unit, or unset LISTEN_FDS and LISTEN_PID"


def check_listening_fd(
    fd: int, where: tuple[str, ...], *, setting: str = ROOT_SETTING, fix: str = MANAGER_FIX
) -> None:
    """The descriptor is an open, listening stream socket (TCP or UNIX), as a server needs."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError as error:
        problem = f"file descriptor {fd} is not an open socket ({error.strerror})"
        raise ConfigurationError(where, problem, fix, setting=setting) from error
    with sock:
        try:
            listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        except OSError:
            listening = 0
        kind = sock.type
    if kind != socket.SOCK_STREAM or not listening:
        what = "a datagram socket" if kind == socket.SOCK_DGRAM else "not listening"
        raise ConfigurationError(
            where,
            f"file descriptor {fd} is not a listening stream socket ({what})",
            "pass the socket the process manager bound and listens on"
            if setting == ROOT_SETTING
            else fix,
            setting=setting,
        )


def check_systemd_sockets(environ: MutableMapping[str, str] = os.environ) -> int:
    """Before start, what systemd passed: LISTEN_FDS a count, and each descriptor an open,
    listening stream socket. Returns the count (0 when the variables are for another
    process, as ``sd_listen_fds`` decides)."""
    if "LISTEN_FDS" not in environ or environ.get("LISTEN_PID", "").strip() != str(os.getpid()):
        return 0  # none, or meant for another process (sd_listen_fds ignores them too)
    try:
        count = int(environ["LISTEN_FDS"])
    except ValueError:
        raise ConfigurationError(
            (),
            f"{environ['LISTEN_FDS']!r} is not a number of file descriptors",
            SYSTEMD_FIX,
            setting="LISTEN_FDS",
        ) from None
    for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + count):
        check_listening_fd(fd, (), setting="LISTEN_FDS", fix=SYSTEMD_FIX)
    return max(count, 0)


def parse_mode(text: str) -> int:
    """``660``, ``0660`` and ``0o660`` are all octal; raises ValueError for anything else."""
    digits = text.strip().lower().removeprefix("0o")
    if not digits or len(digits) > 4 or any(digit not in "01234567" for digit in digits):
        raise ValueError(text)
    return int(digits, 8)


def bind_unix_socket(path: str, mode: int, backlog: int) -> socket.socket:
    """Bind ``path`` so that it is never reachable with looser permissions than ``mode``.

    A socket file left behind by a server that died is replaced; one a live server
    still listens on is an error, as uvicorn would find out only after start-up."""
    _remove_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    previous_umask = os.umask(0o777)
    try:
        sock.bind(path)
    except OSError as error:
        sock.close()
        raise ConfigurationError(
            ("ARGS", "uds"),
            f"{path} cannot be bound ({error.strerror})",
            "use a path in a directory this user can write, such as /run/<service>/",
        ) from error
    finally:
        os.umask(previous_umask)
    os.chmod(path, mode)
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


UDS_WHERE = ("ARGS", "uds")


def check_unix_socket_path(path: str, where: tuple[str, ...] = UDS_WHERE) -> None:
    """Before start: the directory exists and is writable, and no live server owns ``path``
    (a stale socket file there is one this user may remove)."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigurationError(
            where,
            f"the directory {directory} does not exist or this user cannot write to it",
            "create it for this user (systemd: RuntimeDirectory=), or choose another path",
        )
    _remove_stale_socket(path, remove=False, where=where)


def _remove_stale_socket(
    path: str, remove: bool = True, where: tuple[str, ...] = UDS_WHERE
) -> None:
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(existing.st_mode):
        raise ConflictingOptionsError(
            where,
            f"{path} exists and is not a socket",
            "choose a path of its own for the socket",
        )
    not_ours_fix = "remove it as its owner (or root), or choose another path"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except PermissionError:
            raise ConfigurationError(
                where,
                f"{path} is a socket of user {existing.st_uid} that this user may not connect to, "
                "so whether a server still listens on it cannot be told",
                not_ours_fix,
            ) from None
        except OSError as error:
            if error.errno not in (errno.ECONNREFUSED, errno.ENOENT):
                raise ConfigurationError(
                    where, f"{path} cannot be checked ({error.strerror})", not_ours_fix
                ) from error
            if not _may_remove(path, existing):
                raise ConfigurationError(
                    where,
                    f"{path} is a stale socket of user {existing.st_uid} that this user may not "
                    "remove",
                    not_ours_fix,
                ) from None
            if remove:
                os.unlink(path)
            return
    raise ConflictingOptionsError(
        where,
        f"another server is already listening on {path}",
        "stop it, or give this process a socket path of its own",
    )


def _may_remove(path: str, existing: os.stat_result) -> bool:
    """Whether this user may unlink ``path``: write access to its directory and, in a sticky
    directory such as /tmp, owning the file or the directory (root may do all)."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.geteuid() == 0:
        return True
    if not os.access(directory, os.W_OK | os.X_OK):
        return False
    folder = os.stat(directory)
    sticky = bool(folder.st_mode & stat.S_ISVTX)
    return not sticky or os.geteuid() in (existing.st_uid, folder.st_uid)


def check_bindable(
    host: str, port: int, host_where: tuple[str, ...], port_where: tuple[str, ...]
) -> None:
    """Bind and release ``host:port`` the way the server will (SO_REUSEADDR, so a port
    in TIME_WAIT counts as free), turning failures into one-line errors that name the ARGS
    key holding the host and the one holding the port (the same key for gunicorn's bind)."""
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
                host_where,
                f"{host!r} cannot be resolved ({error.strerror})",
                "use an IP address such as '0.0.0.0' or '127.0.0.1' (the port goes in 'port')",
            ) from error
        except OSError as error:
            raise _bind_error(error, address, host, port, host_where, port_where) from error


def _bind_error(
    error: OSError,
    address: str,
    host: str,
    port: int,
    host_where: tuple[str, ...],
    port_where: tuple[str, ...],
) -> ConfigurationError:
    if error.errno == errno.EADDRINUSE:
        return ConfigurationError(
            port_where,
            f"{address} is already in use by another process",
            "stop that process or choose another port",
        )
    if error.errno == errno.EACCES:
        return ConfigurationError(
            port_where,
            f"permission denied binding {address} (ports below 1024 need privileges)",
            "use a port from 1024 up behind a proxy, or grant CAP_NET_BIND_SERVICE",
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return ConfigurationError(
            host_where,
            f"{host!r} is not an address of this machine",
            "use '0.0.0.0' for every interface or '127.0.0.1' for this machine only",
        )
    return ConfigurationError(
        port_where, f"{address} cannot be bound ({error.strerror})", "choose another address"
    )
