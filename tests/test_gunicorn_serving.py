"""GunicornUvicornServer and GunicornServer as real gunicorn processes; our workers alone."""

from __future__ import annotations

import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .conftest import ENCRYPTED_KEY_PASSWORD
from .logging_settings import DISABLING_LOGGING
from .support.gunicorn import CONTROL_SOCKET_OFF, TEST_APP, gunicorn_process
from .support.processes import GUNICORN
from .support.servers import (
    EXAMPLE_PROJECT,
    ServerFactory,
    ServerProcess,
    children_of,
    established_connections,
    free_port,
    wait_for,
)

pytestmark = [pytest.mark.server, pytest.mark.server_matrix]


def start_test_app(servers: ServerFactory, args: dict[str, Any], **options: Any) -> ServerProcess:
    server = servers.start(gunicorn_process(args), "web", overrides=TEST_APP, **options)
    server.wait_ready("/")
    return server


def test_example_project_sync_async_and_websocket(servers: ServerFactory) -> None:
    processes = gunicorn_process({"workers": 2})
    server = servers.start(processes, "web")
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.get("/async/").json() == {"view": "async"}
    with connect(server.base_url.replace("http", "ws") + "/ws/echo/", open_timeout=5) as websocket:
        websocket.send("over gunicorn")
        assert websocket.recv(timeout=5) == "over gunicorn"
    assert server.get("/request-info/").json()["pid"] in children_of(server.pid)
    assert server.stop() == 0


def test_gunicorn_wsgi_backend(servers: ServerFactory) -> None:
    processes = gunicorn_process({"workers": 2, "worker-class": "gthread", "threads": 2}, GUNICORN)
    server = servers.start(processes, "web")
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.get("/async/").json() == {"view": "async"}
    assert server.stop() == 0
    assert "Using worker: gthread" in server.output()


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize(
    ("args", "worker"),
    [({}, "UvicornWorker"), ({"http": "h11", "loop": "asyncio"}, "UvicornH11Worker")],
    ids=["UvicornWorker", "UvicornH11Worker"],
)
def test_both_worker_classes_with_and_without_tls(
    servers: ServerFactory,
    tls_files: dict[str, Path],
    encrypted_key: Path,
    args: dict[str, str],
    worker: str,
    tls: bool,
) -> None:
    options: dict[str, Any] = {}
    if tls:
        args = {
            **args,
            "certfile": str(tls_files["cert"]),
            "keyfile": str(encrypted_key),
            "ssl-keyfile-password": ENCRYPTED_KEY_PASSWORD,
        }
        options = {
            "scheme": "https",
            "client_options": {"verify": ssl.create_default_context(cafile=str(tls_files["ca"]))},
        }
    server = start_test_app(servers, args, **options)
    assert server.get("/scope").json()["scheme"] == ("https" if tls else "http")
    assert server.stop() == 0
    assert f"Using worker: django_prodserver.workers.{worker}" in server.output()


def test_worker_on_its_own_with_gunicorn_by_hand(servers: ServerFactory, tmp_path: Path) -> None:
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "example_project.asgi:application"),
        *("-k", "django_prodserver.workers.UvicornWorker", "-b", f"127.0.0.1:{port}"),
        *CONTROL_SOCKET_OFF,
    ]
    env = {"PYTHONPATH": str(EXAMPLE_PROJECT), "DJANGO_DATABASE_PATH": ":memory:"}
    server = servers.start_command(command, port, cwd=tmp_path, env=env)
    server.wait_ready()
    assert server.get("/async/").json() == {"view": "async"}
    assert server.stop() == 0


def test_limit_concurrency_answers_503_beyond_the_limit(servers: ServerFactory) -> None:
    """The limit counts requests being served (not connections still sending a head): with
    a limit of 1 and one slow request in flight, the next request gets 503."""
    server = start_test_app(servers, {"limit-concurrency": 1, "graceful-timeout": 1})
    port = int(server.base_url.rsplit(":", 1)[1])
    statuses: list[int] = []
    slow = threading.Thread(
        target=lambda: statuses.append(
            httpx.get(server.url("/slow?seconds=3"), timeout=10).status_code
        )
    )
    slow.start()
    wait_for(lambda: established_connections(port) >= 1, 5, "the slow request to be in flight")
    wait_for(lambda: server.get("/").status_code == 503, 2.5, "a 503 while it is served")
    slow.join()
    assert statuses == [200]
    assert server.get("/").status_code == 200
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("trusted", "client", "scheme"),
    [("127.0.0.1", "203.0.113.7", "https"), ("192.0.2.1", "127.0.0.1", "http")],
    ids=["peer-trusted", "peer-not-trusted"],
)
def test_proxy_headers_from_trusted_peers_only(
    servers: ServerFactory, trusted: str, client: str, scheme: str
) -> None:
    server = start_test_app(servers, {"proxy-headers": True, "forwarded-allow-ips": trusted})
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    info = server.get("/scope", headers=forwarded).json()
    assert (info["client"], info["scheme"]) == (client, scheme)
    assert server.stop() == 0


def test_root_path_reaches_the_request_scope(servers: ServerFactory) -> None:
    server = start_test_app(servers, {"root-path": "/mounted"})
    assert server.get("/scope").json()["root_path"] == "/mounted"
    assert server.stop() == 0


def test_header_option_is_sent_on_responses(servers: ServerFactory) -> None:
    server = start_test_app(servers, {"header": ["X-Served-By: prodserver", "X-Team:web"]})
    response = server.get("/")
    assert response.headers["x-served-by"].strip() == "prodserver"
    assert response.headers["x-team"] == "web"
    assert server.stop() == 0


def test_ws_max_size_rejects_an_oversized_message(servers: ServerFactory) -> None:
    server = start_test_app(servers, {"ws-max-size": 1024})
    with connect(server.base_url.replace("http", "ws") + "/ws", open_timeout=5) as websocket:
        websocket.send("x" * 512)
        assert websocket.recv(timeout=5) == "x" * 512
        websocket.send("x" * 4096)
        with pytest.raises(ConnectionClosed) as closed:
            websocket.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    assert server.stop() == 0


ACCESS_LINE = re.compile(
    r'^127\.0\.0\.1 - - \[[^\]]+\] "GET /scope\?x=1 HTTP/1\.1" 200 \d+ "-" "python-httpx/[\d.]+"$',
    re.M,
)


def test_access_and_error_logs_with_default_settings(servers: ServerFactory) -> None:
    server = start_test_app(servers, {})
    server.get("/scope?x=1")
    server.get("/error")
    assert server.stop() == 0
    output = server.output()
    assert ACCESS_LINE.search(output), output
    assert re.search(r"\[ERROR\] Exception in ASGI application", output)
    assert '"GET /error HTTP/1.1" 500' in output
    assert "[INFO] Booting worker with pid" in output


def test_access_log_to_a_file_and_no_access_log(servers: ServerFactory, tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    server = start_test_app(servers, {"access-logfile": str(access)})
    server.get("/scope?x=1")
    assert server.stop() == 0
    assert ACCESS_LINE.search(access.read_text())

    quiet = start_test_app(servers, {"no-access-log": True})
    quiet.get("/scope?x=1")
    assert quiet.stop() == 0
    assert "GET /scope" not in quiet.output()


def test_custom_access_log_format_has_gunicorns_atoms(servers: ServerFactory) -> None:
    atoms = list("hlutrmUqHsBbfaTDLp")
    log_format = "|".join(f"{atom}=%({atom})s" for atom in atoms) + "|ua=%({user-agent}i)s"
    server = start_test_app(servers, {"access-logfile": "-", "access-logformat": log_format})
    response = server.get(
        "/scope?x=1", headers={"Referer": "http://ref/", "Authorization": "Basic dXNlcjpwdw=="}
    )
    assert server.stop() == 0
    line = next(line for line in server.output().splitlines() if "|U=/scope|" in line)
    fields = dict(field.split("=", 1) for field in line.split("|"))
    assert fields["h"] == "127.0.0.1"
    assert fields["l"] == "-"
    assert fields["u"] == "user"
    assert fields["r"] == "GET /scope?x=1 HTTP/1.1"
    assert (fields["m"], fields["U"], fields["q"], fields["H"]) == (
        "GET",
        "/scope",
        "x=1",
        "HTTP/1.1",
    )
    assert fields["s"] == "200"
    assert int(fields["B"]) == int(fields["b"]) > 0
    assert fields["f"] == "http://ref/"
    assert fields["a"].startswith("python-httpx/")
    assert fields["ua"] == fields["a"]
    assert int(fields["T"]) >= 0
    assert int(fields["D"]) > 0
    assert float(fields["L"]) > 0
    assert fields["p"] == f"<{response.json()['pid']}>"
    assert fields["t"].startswith("[")


def test_seed_worker_subclass_logs_with_its_own_config(servers: ServerFactory) -> None:
    server = start_test_app(servers, {"worker-class": "tests.custom_workers.MyUvicornWorker"})
    server.get("/scope?x=1")
    assert server.stop() == 0
    output = server.output()
    assert re.search(
        r'^\d{4}-\d\d-\d\d [\d:,]+ - 127\.0\.0\.1:\d+ - "GET /scope\?x=1 HTTP/1\.1" 200',
        output,
        re.M,
    )
    assert re.search(
        r"^\d{4}-\d\d-\d\d [\d:,]+ - Started server process",
        output,
        re.M,
    )


@pytest.mark.parametrize("preload", [False, True], ids=["per-worker", "preload"])
def test_logs_survive_django_logging_that_disables_existing_loggers(
    servers: ServerFactory, preload: bool
) -> None:
    server = servers.start(
        gunicorn_process({"preload": preload}), "web", overrides=DISABLING_LOGGING
    )
    server.wait_ready()
    server.get("/async/")
    assert server.stop() == 0
    output = server.output()
    assert '"GET /async/ HTTP/1.1" 200' in output
    assert "Application startup complete." in output
    assert "Shutting down: Master" in output


READ_ONLY_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'


def read_only_wrapper(directory: Path) -> list[str]:
    """Run the command with ``directory`` mounted read-only, in a private mount namespace."""
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", READ_ONLY_MOUNT, str(directory), "true"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {probe.stderr.decode().strip()}")
    return ["unshare", "-m", "sh", "-c", READ_ONLY_MOUNT, str(directory)]


def test_read_only_working_directory_and_home(servers: ServerFactory, tmp_path: Path) -> None:
    """A container with a read-only root filesystem: gunicorn 27's control socket would
    want $HOME/.gunicorn; it stays off unless configured, so nothing is written."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": "", "DJANGO_DATABASE_PATH": ":memory:"}
    server = servers.start(
        gunicorn_process({"workers": 2}), "web", env=env, cwd=home, wrapper=read_only_wrapper(home)
    )
    server.wait_ready()
    assert server.get("/async/").status_code == 200
    assert server.stop() == 0
    output = server.output()
    assert "control socket" not in output.lower()
    assert "read-only file system" not in output.lower()
    assert list(home.iterdir()) == []


def test_term_is_graceful_by_default(servers: ServerFactory) -> None:
    server = start_test_app(servers, {})
    assert server.stop(signal.SIGTERM) == 0


def test_capture_output_sends_prints_to_the_error_log(
    servers: ServerFactory, tmp_path: Path
) -> None:
    error_log = tmp_path / "error.log"
    server = start_test_app(servers, {"capture-output": True, "error-logfile": str(error_log)})
    server.get("/print")
    assert server.stop() == 0
    text = error_log.read_text()
    assert "printed by the application" in text
    assert "Application startup complete." in text


def test_logconfig_dict_from_a_config_module(servers: ServerFactory) -> None:
    server = start_test_app(servers, {"config": "python:tests.gunicorn_conf"})
    server.get("/scope?x=1")
    server.get("/error")
    assert server.stop() == 0
    output = server.output()
    assert re.search(
        r'^CONFIGURED gunicorn\.access 127\.0\.0\.1 - - .*"GET /scope\?x=1 HTTP/1\.1" 200',
        output,
        re.M,
    )
    assert re.search(r"^CONFIGURED uvicorn\.error Exception in ASGI application", output, re.M)


def test_a_projects_own_logger_class_gets_every_access_call(servers: ServerFactory) -> None:
    server = start_test_app(
        servers, {"logger-class": "tests.custom_loggers.TaggingLogger", "access-logfile": "-"}
    )
    server.get("/scope?x=1")
    assert server.stop() == 0
    assert re.search(r"^TAGGED GET /scope 200$", server.output(), re.M)


def test_log_level_applies_to_uvicorns_messages(servers: ServerFactory) -> None:
    server = start_test_app(servers, {"log-level": "warning"})
    server.get("/error")
    assert server.stop() == 0
    output = server.output()
    assert "Application startup complete." not in output
    assert "[ERROR] Exception in ASGI application" in output


@pytest.mark.parametrize("name", ["web-gunicorn", "web-gunicorn-wsgi"])
def test_example_project_gunicorn_processes_as_configured(
    servers: ServerFactory, name: str
) -> None:
    server = servers.start_example(name, free_port())
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.get("/async/").json() == {"view": "async"}
    if name == "web-gunicorn":
        with connect(
            server.base_url.replace("http", "ws") + "/ws/echo/", open_timeout=5
        ) as websocket:
            websocket.send("configured")
            assert websocket.recv(timeout=5) == "configured"
    assert server.stop() == 0


@pytest.mark.parametrize(
    "backend", [GUNICORN, "django_prodserver.backends.gunicorn.GunicornUvicornServer"]
)
def test_env_secrets_reach_the_workers_but_no_command_line(
    servers: ServerFactory, backend: str
) -> None:
    secret = "hunter2-" + str(free_port())
    processes = gunicorn_process({"workers": 2, "env": [f"API_TOKEN={secret}", "LEVEL=2"]}, backend)
    server = servers.start(processes, "web")
    server.wait_ready("/health/")
    wait_for(lambda: len(children_of(server.pid)) == 2, 10, "two workers")
    for pid in [server.pid, *children_of(server.pid)]:
        assert secret.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
        environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"API_TOKEN={secret}".encode() in environment
        assert b"LEVEL=2" in environment
    assert server.stop() == 0
    assert secret not in server.output()


FORGING_REQUESTS = [
    # A decoded path with a line break, and a quote to end the field early.
    b"GET /hello/%0aforged%22 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    # A Basic-auth user name with a line break ("evil\nforged:pw").
    b"GET /hello/ HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic ZXZpbApmb3JnZWQ6cHc=\r\n"
    b"Connection: close\r\n\r\n",
    # A terminal escape sequence in a header.
    b"GET /hello/ HTTP/1.1\r\nHost: localhost\r\nUser-Agent: \x1b[31mred\r\n"
    b"Connection: close\r\n\r\n",
]


@pytest.mark.parametrize(
    "backend", [GUNICORN, "django_prodserver.backends.gunicorn.GunicornUvicornServer"]
)
def test_access_lines_cannot_be_forged(
    servers: ServerFactory, tmp_path: Path, backend: str
) -> None:
    access = tmp_path / "access.log"
    processes = gunicorn_process(
        {
            "access-logfile": str(access),
            "access-logformat": 'user=%(u)s path="%(U)s" agent="%(a)s"',
        },
        backend,
    )
    server = servers.start(processes, "web")
    server.wait_ready("/health/")
    port = int(server.base_url.rsplit(":", 1)[1])
    for request in FORGING_REQUESTS:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(request)
            while client.recv(65536):
                pass
    assert server.stop() == 0
    text = access.read_text()
    lines = [line for line in text.splitlines() if "/health/" not in line]
    assert len(lines) >= 2, text
    assert all(line.startswith("user=") for line in lines), text
    assert "\x1b" not in text
    assert 'path="/hello/\\nforged\\""' in text
    if "user=evil" in text:
        assert "user=evil\\nforged" in text
