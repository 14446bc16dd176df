"""Granian and waitress, started by ``prodserver``: the checks the uvicorn backends pass, where
they apply (views, ARGS of every shape, one-line errors, the port preflight, a graceful
TERM, websockets, a dry run that runs as printed, TLS)."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import ssl
import sys
import threading
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from .support.processes import GRANIAN, GRANIAN_WSGI, WAITRESS, web, web_on
from .support.servers import (
    EXAMPLE_PROJECT,
    ServerFactory,
    established_connections,
    free_port,
    process_env,
    run_prodserver,
    wait_for,
)

pytestmark = pytest.mark.server
BACKENDS = [GRANIAN, GRANIAN_WSGI, WAITRESS]


def name(backend: str) -> str:
    return backend.rsplit(".", 1)[1]


@pytest.mark.parametrize("backend", BACKENDS, ids=name)
def test_serves_the_example_project(servers: ServerFactory, backend: str) -> None:
    server = servers.start(web_on(backend, free_port()), "web")
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.get("/async/").json() == {"view": "async"}
    assert server.get("/").headers["content-type"].startswith("text/html")
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("backend", "args", "expected"),
    [
        (GRANIAN, {"access-log": True, "ws": False}, ["--access-log", "--no-ws"]),
        (GRANIAN, {"no-access-log": None}, ["--no-access-log"]),
        (GRANIAN, {"reload-ignore-dirs": ["a", "b"]}, ["--reload-ignore-dirs=a", "--reload-ignore-dirs=b"]),
        (GRANIAN, {"http": 2, "workers": "2"}, ["--http=2", "--workers=2"]),
        (GRANIAN_WSGI, {"threads": 4, "address": "127.0.0.1"}, ["--blocking-threads=4", "--host=127.0.0.1"]),
        (GRANIAN, {"log-access": "False"}, ["--no-access-log"]),
        (WAITRESS, {"expose-tracebacks": False, "ipv6": True}, ["--no-expose-tracebacks", "--ipv6"]),
        (WAITRESS, {"listen": ["127.0.0.1:8001", "[::1]:8001"]}, ["--listen=127.0.0.1:8001", "--listen=[::1]:8001"]),
        (WAITRESS, {"connection_limit": 500, "channel-timeout": "120"}, ["--connection-limit=500", "--channel-timeout=120"]),
    ],
)  # fmt: skip
def test_args_of_every_shape(backend: str, args: dict[str, object], expected: list[str]) -> None:
    result = run_prodserver(web(args, backend), "web", "--dry-run")
    assert result.returncode == 0, result.stderr
    command = shlex.split(result.stdout)
    position = command.index(expected[0])
    assert command[position : position + len(expected)] == expected


@pytest.mark.parametrize(
    ("backend", "args", "message"),
    [
        (GRANIAN, {"prot": "1"}, "['ARGS']['prot']: granian has no option --prot; did you mean 'port'?"),
        (GRANIAN, {"http": "3"}, "['ARGS']['http']: '3' is not one of 'auto', '1', '2'"),
        (GRANIAN, {"workers": "0"}, "['ARGS']['workers']: 0 is not in the range x>=1"),
        (GRANIAN, {"interface": "rsgi"}, "['ARGS']['interface']: the backend sets the interface"),
        (WAITRESS, {"threads": "many"}, "['ARGS']['threads']: 'many' is not what --threads takes"),
        (WAITRESS, {"thread": "4"}, "['ARGS']['thread']: waitress-serve has no option --thread; did you mean 'threads'?"),
    ],
)  # fmt: skip
def test_a_mistake_is_one_line_and_exit_2(
    backend: str, args: dict[str, object], message: str
) -> None:
    result = run_prodserver(web(args, backend), "web")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert message in line, line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("backend", BACKENDS, ids=name)
def test_a_port_in_use_stops_before_start(backend: str) -> None:
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_prodserver(web_on(backend, port), "web")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert f"127.0.0.1:{port} is already in use" in line, line


@pytest.mark.parametrize("backend", BACKENDS, ids=name)
def test_term_lets_requests_in_flight_finish(servers: ServerFactory, backend: str) -> None:
    port = free_port()
    server = servers.start(web_on(backend, port), "web")
    server.wait_ready()
    answers: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: answers.append(server.get("/slow/?seconds=2")))
    slow.start()
    wait_for(lambda: established_connections(port) >= 1, 10, "the request to be in flight")
    assert server.stop(signal.SIGTERM, timeout=20) == 0, server.output()
    slow.join(10)
    assert [answer.status_code for answer in answers] == [200], server.output()


def test_granian_serves_websockets(servers: ServerFactory) -> None:
    port = free_port()
    server = servers.start(web_on(GRANIAN, port), "web")
    server.wait_ready()
    with connect(f"ws://127.0.0.1:{port}/ws/echo/", open_timeout=5) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=5) == "ping"
    assert server.stop() == 0


@pytest.mark.parametrize("backend", BACKENDS, ids=name)
def test_dry_run_prints_a_command_that_serves(servers: ServerFactory, backend: str) -> None:
    port = free_port()
    processes = web_on(backend, port)
    result = run_prodserver(processes, "web", "--dry-run")
    assert result.returncode == 0, result.stderr
    command = shlex.split(result.stdout)
    bin_dir = str(Path(sys.executable).parent)
    env = {**process_env(processes), "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    server = servers.start_command(command, port, cwd=EXAMPLE_PROJECT, env=env)
    server.wait_ready()
    assert server.get("/sync/").status_code == 200
    server.stop()  # by hand, waitress dies by SIGTERM


@pytest.mark.parametrize(
    ("cert", "key"), [("ssl-certificate", "ssl-keyfile"), ("ssl-cert", "ssl-key")]
)
def test_granian_tls(
    servers: ServerFactory, tls_files: dict[str, Path], cert: str, key: str
) -> None:
    """Under its CLI's names and its Python API's (the predecessor's). An encrypted key in
    the PKCS#8 form Python's ssl reads makes Granian 2.8's worker panic: not tested here."""
    args = {
        "host": "127.0.0.1",
        "port": free_port(),
        cert: str(tls_files["cert"]),
        key: str(tls_files["key"]),
    }
    context = ssl.create_default_context(cafile=str(tls_files["ca"]))
    server = servers.start(
        web(args, GRANIAN), "web", scheme="https", client_options={"verify": context}
    )
    server.wait_ready()
    assert server.get("/request-info/").json()["scheme"] == "https"
    assert server.stop() == 0


def describe(backend: str, args: dict[str, object]) -> str:
    from django_prodserver.banner import banner
    from django_prodserver.conf import ProcessConfig
    from django_prodserver.processes import load_backend

    process = web(args, backend)["web"]
    return banner("web", load_backend(ProcessConfig("web", backend, args, process)))


@pytest.mark.parametrize(
    ("backend", "args", "shown"),
    [
        (WAITRESS, {"listen": ["127.0.0.1:8001", "[::1]:8002"]}, "on http://127.0.0.1:8001, http://[::1]:8002"),
        (WAITRESS, {"unix-socket": "/run/web.sock"}, "on unix:/run/web.sock"),
        (WAITRESS, {}, "on http://0.0.0.0:8080, workers 1 (4 threads)"),
        (GRANIAN, {"uds": "/run/web.sock", "workers": 3}, "on unix:/run/web.sock, workers 3 (granian asgi processes)"),
        (GRANIAN_WSGI, {"reload": True}, "workers 1 (reloading) (granian wsgi processes)"),
        (GRANIAN, {"host": "::1", "port": 9000}, "on http://[::1]:9000"),
    ],
)  # fmt: skip
def test_the_banner_says_where_and_how(backend: str, args: dict[str, object], shown: str) -> None:
    assert shown in describe(backend, args)


def test_a_bad_granian_environment_variable_is_one_line() -> None:
    result = run_prodserver(web_on(GRANIAN, free_port()), "web", env={"GRANIAN_WORKERS": "abc"})
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "granian: Invalid value for '--workers': 'abc' is not a valid integer" in line
    assert "GRANIAN_* environment variables" in line


@pytest.mark.parametrize("backend", [GRANIAN, WAITRESS], ids=name)
def test_a_unix_socket_in_a_missing_directory_stops_before_start(backend: str) -> None:
    key = "uds" if backend == GRANIAN else "unix-socket"
    result = run_prodserver(web({key: "/nonexistent/dir/web.sock"}, backend), "web")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "/nonexistent/dir" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"respawn-failed-workers": False}, ["--no-respawn-failed-workers"]),
        ({"backpressure": 64, "workers-lifetime": "3600"}, ["--backpressure=64", "--workers-lifetime=3600"]),
        ({"http": "auto", "http1-keep-alive": False}, ["--http=auto", "--no-http1-keep-alive"]),
        ({"uds": "/tmp/granian.sock", "uds-permissions": "0o660"}, ["--uds=/tmp/granian.sock", "--uds-permissions=0o660"]),
    ],
)  # fmt: skip
def test_granians_own_options(args: dict[str, object], expected: list[str]) -> None:
    result = run_prodserver(web(args, GRANIAN), "web", "--dry-run")
    assert result.returncode == 0, result.stderr
    command = shlex.split(result.stdout)
    position = command.index(expected[0])
    assert command[position : position + len(expected)] == expected


STATIC = EXAMPLE_PROJECT / "example_project" / "static"


def test_granian_on_a_unix_socket_serving_static_files(
    servers: ServerFactory, tmp_path: Path
) -> None:
    path = tmp_path / "granian.sock"
    args = {"uds": str(path), "static-path-route": ["/assets"], "static-path-mount": [str(STATIC)]}
    server = servers.start(web(args, GRANIAN), "web", port=0)
    wait_for(path.exists, 30, "Granian's socket")
    transport = httpx.HTTPTransport(uds=str(path))
    with httpx.Client(transport=transport, base_url="http://localhost", timeout=5) as client:
        wait_for(lambda: _answers(client), 30, "Granian to answer on its socket")
        assert client.get("/sync/").json()["view"] == "sync"
        css = client.get("/assets/example_project/site.css")
        assert css.status_code == 200
        assert css.content == (STATIC / "example_project/site.css").read_bytes()
    assert server.stop() == 0


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/health/").status_code == 200
    except httpx.TransportError:
        return False


def test_a_static_mount_that_does_not_exist_stops_before_start() -> None:
    args = {"static-path-route": ["/assets"], "static-path-mount": ["/nonexistent/static"]}
    result = run_prodserver(web_on(GRANIAN, free_port(), **args), "web")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "PRODUCTION_PROCESSES['web']['ARGS']['static-path-mount']" in line


@pytest.mark.parametrize("name", ["web-granian", "web-granian-wsgi", "web-waitress", "dev"])
def test_the_example_projects_own_processes(servers: ServerFactory, name: str) -> None:
    """As the example project's settings configure them, started the README's way."""
    server = servers.start_example(name, free_port())
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.stop() == 0
