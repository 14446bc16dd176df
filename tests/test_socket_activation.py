"""Sockets opened by a service manager: systemd socket activation (``LISTEN_FDS``), an
inherited ``fd`` as supervisor and circus pass it, ``Type=notify`` readiness, and ``uds``
with a file mode."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from .support.notify import NotifyListener
from .support.processes import GUNICORN, GUNICORN_UVICORN, UVICORN, UVICORN_WSGI, web
from .support.servers import (
    COVERAGE_VARIABLES,
    EXAMPLE_PROJECT,
    ServerFactory,
    free_port,
    process_env,
    prodserver_command,
    run_prodserver,
    wait_for,
)
from .support.sockets import (
    ACTIVATOR,
    CLIENT_ADDRESS,
    listening_tcp_socket,
    listening_unix_socket,
    request_info_over_tcp,
    request_info_over_unix,
)

pytestmark = pytest.mark.server

BACKENDS = [
    pytest.param(UVICORN, {}, id="uvicorn"),
    pytest.param(UVICORN, {"workers": "2"}, id="uvicorn-2-workers"),
    pytest.param(UVICORN_WSGI, {}, id="uvicorn-wsgi"),
    pytest.param(GUNICORN_UVICORN, {"workers": "2"}, id="gunicorn-uvicorn"),
    pytest.param(GUNICORN, {}, id="gunicorn"),
]


def start_activated(
    servers: ServerFactory,
    listener: socket.socket,
    backend: str,
    args: dict[str, Any],
    notify: NotifyListener,
) -> Any:
    processes = web(args, backend)
    return servers.start(
        processes,
        "web",
        port=0,
        wrapper=[*ACTIVATOR, str(listener.fileno())],
        pass_fds=(listener.fileno(),),
        env={"NOTIFY_SOCKET": str(notify.path)},
    )


@pytest.mark.parametrize(("backend", "args"), BACKENDS)
def test_systemd_tcp_socket_with_no_configuration(
    servers: ServerFactory,
    notify_listener: NotifyListener,
    backend: str,
    args: dict[str, Any],
) -> None:
    with listening_tcp_socket() as listener:
        port = listener.getsockname()[1]
        server = start_activated(servers, listener, backend, args, notify_listener)
    notify_listener.wait_ready()
    info = request_info_over_tcp(port)
    assert info["client"] == CLIENT_ADDRESS
    assert server.stop() == 0, server.output()
    assert "1 socket(s) passed by systemd (LISTEN_FDS)" in server.output()


@pytest.mark.parametrize(("backend", "args"), BACKENDS)
def test_systemd_unix_socket(
    servers: ServerFactory,
    notify_listener: NotifyListener,
    tmp_path: Path,
    backend: str,
    args: dict[str, Any],
) -> None:
    path = tmp_path / "web.sock"
    with listening_unix_socket(path) as listener:
        server = start_activated(servers, listener, backend, args, notify_listener)
    notify_listener.wait_ready()
    assert request_info_over_unix(path)["scheme"] == "http"
    assert server.stop() == 0, server.output()
    assert path.exists(), "the socket belongs to systemd and must outlive the service"


def test_systemd_sockets_take_the_place_of_host_and_port(
    servers: ServerFactory, notify_listener: NotifyListener
) -> None:
    configured_port = free_port()
    with listening_tcp_socket() as listener:
        port = listener.getsockname()[1]
        server = start_activated(
            servers,
            listener,
            UVICORN,
            {"host": "127.0.0.1", "port": configured_port},
            notify_listener,
        )
    notify_listener.wait_ready()
    assert request_info_over_tcp(port)["client"] == CLIENT_ADDRESS
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{configured_port}/health/", timeout=2)
    assert "LISTEN_FDS" in server.output()
    assert server.stop() == 0


FD_CASES = {
    "uvicorn": (UVICORN, {"fd": "{fd}"}),
    "uvicorn-2-workers": (UVICORN, {"fd": "{fd}", "workers": "2"}),
    "gunicorn-uvicorn": (GUNICORN_UVICORN, {"bind": "fd://{fd}"}),
}


@pytest.mark.parametrize(("backend", "args"), FD_CASES.values(), ids=FD_CASES.keys())
def test_inherited_tcp_fd_reports_the_real_client(
    servers: ServerFactory, backend: str, args: dict[str, str]
) -> None:
    """supervisor's fcgi-program and circus hand a bound TCP socket over by number."""
    with listening_tcp_socket() as listener:
        port, fd = listener.getsockname()[1], listener.fileno()
        server = servers.start(
            {"web": {"BACKEND": backend, "ARGS": {k: v.format(fd=fd) for k, v in args.items()}}},
            "web",
            port=port,
            pass_fds=(fd,),
        )
    server.wait_ready()
    assert request_info_over_tcp(port)["client"] == CLIENT_ADDRESS
    assert server.stop() == 0


@pytest.mark.parametrize(("backend", "args"), BACKENDS)
def test_type_notify_readiness_once_connections_are_accepted(
    servers: ServerFactory,
    notify_listener: NotifyListener,
    backend: str,
    args: dict[str, Any],
) -> None:
    port = free_port()
    bind = (
        {"bind": f"127.0.0.1:{port}"}
        if backend.startswith("django_prodserver.backends.gunicorn")
        else {"host": "127.0.0.1", "port": port}
    )
    server = servers.start(
        {"web": {"BACKEND": backend, "ARGS": {**bind, **args}}},
        "web",
        port=port,
        env={"NOTIFY_SOCKET": str(notify_listener.path)},
    )
    notify_listener.wait_ready()
    # Ready means a request made now succeeds, without retrying.
    assert server.get("/health/", timeout=20).status_code == 200
    assert server.stop() == 0


@pytest.mark.parametrize("mode", ["660", "600"])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_uds_mode_sets_the_socket_file_mode(
    servers: ServerFactory, tmp_path: Path, mode: str, workers: str
) -> None:
    path = tmp_path / "web.sock"
    path.touch()
    path.unlink()
    server = servers.start(
        {
            "web": {
                "BACKEND": UVICORN,
                "ARGS": {"uds": str(path), "uds-mode": mode, "workers": workers},
            }
        },
        "web",
        port=0,
    )
    wait_for(path.exists, 30, "the socket file")
    assert stat.S_IMODE(os.stat(path).st_mode) == int(mode, 8)
    wait_for(lambda: _answers(path), 30, "the server to answer on its socket")
    assert server.stop() == 0
    assert not path.exists()


def test_uds_replaces_a_stale_socket_file(servers: ServerFactory, tmp_path: Path) -> None:
    path = tmp_path / "web.sock"
    listening_unix_socket(path).close()  # a server that died without removing its socket
    server = servers.start(
        {"web": {"BACKEND": UVICORN, "ARGS": {"uds": str(path), "uds-mode": "600"}}},
        "web",
        port=0,
    )
    wait_for(lambda: _answers(path), 30, "the server to answer on its socket")
    assert server.stop() == 0


def _answers(path: Path) -> bool:
    try:
        return bool(request_info_over_unix(path)["scheme"] == "http")
    except httpx.TransportError:
        return False


def inherited(kind: str, tmp_path: Path) -> socket.socket | IO[bytes] | None:
    if kind == "regular file":
        return (tmp_path / "not-a-socket").open("w+b")
    if kind == "UDP socket":
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        return udp
    if kind == "TCP socket not listening":
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        return tcp
    return None


BAD_INHERITANCE = {
    "closed": ("1", "file descriptor 3 is not an open socket (Bad file descriptor)"),
    "regular file": (
        "1",
        "file descriptor 3 is not an open socket (Socket operation on non-socket)",
    ),
    "UDP socket": ("1", "file descriptor 3 is not a listening stream socket (a datagram socket)"),
    "TCP socket not listening": (
        "1",
        "file descriptor 3 is not a listening stream socket (not listening)",
    ),
    "count not a number": ("three", "'three' is not a number of file descriptors"),
}


@pytest.mark.parametrize("backend", [UVICORN, GUNICORN_UVICORN])
@pytest.mark.parametrize(("kind", "case"), BAD_INHERITANCE.items())
def test_what_systemd_passes_is_checked_before_start(
    tmp_path: Path, backend: str, kind: str, case: tuple[str, str]
) -> None:
    count, problem = case
    handle = inherited(kind, tmp_path)
    fd = handle.fileno() if handle is not None else None
    try:
        result = subprocess.run(
            [
                *ACTIVATOR,
                str(fd) if fd is not None else "closed",
                *prodserver_command(EXAMPLE_PROJECT, "web"),
            ],
            env=process_env(web({}, backend), ACTIVATOR_LISTEN_FDS=count),
            cwd=EXAMPLE_PROJECT,
            pass_fds=(fd,) if fd is not None else (),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        if handle is not None:
            handle.close()
    assert result.returncode == 2, result.stderr
    if kind == "closed":
        # Closed when the process starts, but an installed app may open a file there while
        # Django sets up (django-q2's multiprocessing semaphore, on Python 3.12) before
        # prodserver looks: then it is open, and not a socket.
        problem = problem.replace("(Bad file descriptor)", "(")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"CommandError: LISTEN_FDS: {problem}"), line
    assert line.endswith(
        "; start the service from its socket unit, or unset LISTEN_FDS and LISTEN_PID"
    )


def unix_connect_refused(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
    return False


def answers_over_unix(path: Path) -> bool:
    try:
        request_info_over_unix(path)
    except (httpx.TransportError, AssertionError):
        return False
    return True


def test_a_draining_server_leaves_its_successors_socket(
    servers: ServerFactory, tmp_path: Path
) -> None:
    """A rolling restart on one path: the new instance binds while the old one drains, and
    the old one, exiting, must not unlink the new one's socket file."""
    path = tmp_path / "web.sock"
    processes = web({"uds": str(path), "timeout-graceful-shutdown": 10}, UVICORN)
    old = servers.start(processes, "web", port=0)
    wait_for(lambda: answers_over_unix(path), 30, "the old instance")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as in_flight:
        in_flight.connect(str(path))
        in_flight.sendall(
            b"GET /slow/?seconds=3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        os.kill(old.pid, signal.SIGTERM)
        wait_for(lambda: unix_connect_refused(path), 10, "the old instance to stop accepting")
        new = servers.start(processes, "web", port=0)
        wait_for(lambda: answers_over_unix(path), 30, "the new instance")
        assert old.process.wait(20) == 0
        assert in_flight.recv(1024).startswith(b"HTTP/1.1 200")
    assert path.exists(), "the old instance removed the new one's socket"
    assert answers_over_unix(path)
    assert new.stop() == 0
    assert not path.exists()  # its own socket, removed when it stops


def test_gunicorn_refuses_a_path_a_live_server_listens_on(
    servers: ServerFactory, tmp_path: Path
) -> None:
    path = tmp_path / "web.sock"
    live = servers.start(web({"uds": str(path), "uds-mode": "660"}, UVICORN), "web", port=0)
    wait_for(lambda: answers_over_unix(path), 30, "the uvicorn server")
    result = run_prodserver(web({"bind": f"unix:{path}"}, GUNICORN), "web")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"CommandError: PRODUCTION_PROCESSES['web']['ARGS']['bind']: another server is already "
        f"listening on {path}; stop it, or give this process a socket path of its own"
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
    assert answers_over_unix(path)
    assert live.stop() == 0


CHECK_AS_NOBODY = """
import os, sys
from django_prodserver.backends.sockets import check_unix_socket_path
from django_prodserver.errors import ConfigurationError
os.setegid(65534)
os.seteuid(65534)
try:
    check_unix_socket_path(sys.argv[1])
except ConfigurationError as error:
    print(error.message)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make sockets of another user")
@pytest.mark.parametrize(
    ("mode", "problem"),
    [
        (0o600, "is a socket of user 0 that this user may not connect to"),
        (0o666, "is a stale socket of user 0 that this user may not remove"),
    ],
)
def test_a_socket_of_another_user_is_one_line(mode: int, problem: str) -> None:
    """The check a process running as another user (nobody) makes before start, against real
    socket files of root's in a sticky directory, as /tmp is. (The whole command cannot run
    as nobody here: this Python lives under /root, which is mode 700.)"""
    directory = Path(tempfile.mkdtemp(prefix="prodserver-sticky-", dir="/tmp"))
    try:
        directory.chmod(0o1777)
        path = directory / "web.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
            stale.bind(str(path))  # bound, never listening: a stale socket file
        path.chmod(mode)
        result = subprocess.run(
            [sys.executable, "-c", CHECK_AS_NOBODY, str(path)],
            # Unmeasured: coverage could not write its data file as nobody.
            env={
                name: value
                for name, value in process_env("absent").items()
                if not name.startswith(COVERAGE_VARIABLES)
            },
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        shutil.rmtree(directory)
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"PRODUCTION_PROCESSES['ARGS']['uds']: {path} {problem}"
        + (
            ""
            if "connect" not in problem
            else ", so whether a server still listens on it cannot be told"
        )
        + "; remove it as its owner (or root), or choose another path"
    ]
