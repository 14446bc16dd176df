"""What a real ``prodserver`` process does: workers, reload, TLS, websockets, proxy headers,
signals and logs."""

from __future__ import annotations

import signal
import ssl
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from .conftest import ENCRYPTED_KEY_PASSWORD
from .support.processes import UVICORN, UVICORN_WSGI, web
from .support.servers import ServerFactory, children_of, free_port, wait_for

pytestmark = pytest.mark.server


@pytest.mark.parametrize("backend", [UVICORN, UVICORN_WSGI])
def test_example_project_views(servers: ServerFactory, backend: str) -> None:
    server = servers.start(web({"port": free_port()}, backend), "web")
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.get("/async/").json() == {"view": "async"}
    assert server.get("/health/").json() == {"status": "ok"}
    assert server.get("/").headers["content-type"].startswith("text/html")
    assert server.stop() == 0


def test_name_omitted_starts_the_first_process(servers: ServerFactory) -> None:
    port = free_port()
    processes = {**web({"port": port}), "second": {"BACKEND": UVICORN_WSGI, "ARGS": {}}}
    server = servers.start(processes)
    server.wait_ready()
    assert server.stop() == 0
    assert "Starting 'web', the first process in PRODUCTION_PROCESSES" in server.output()


def test_runs_in_the_same_process(servers: ServerFactory) -> None:
    server = servers.start(web({"port": free_port()}), "web")
    server.wait_ready()
    assert server.get("/request-info/").json()["pid"] == server.pid
    assert server.stop() == 0


def test_two_workers_are_two_processes(servers: ServerFactory) -> None:
    server = servers.start(web({"port": free_port(), "workers": 2}), "web")
    server.wait_ready()
    seen: set[int] = set()

    def both_workers_answered() -> bool:
        with httpx.Client(headers={"Connection": "close"}) as client:
            seen.add(client.get(server.url("/request-info/")).json()["pid"])
        return len(seen) == 2

    wait_for(both_workers_answered, 20, "two distinct worker pids")
    assert seen <= children_of(server.pid)
    assert server.pid not in seen
    assert server.stop() == 0


def test_reload_serves_an_edited_view(servers: ServerFactory, project_copy: Path) -> None:
    args = {"port": free_port(), "reload": "True", "reload-dir": "."}
    server = servers.start(web(args), "web", project=project_copy)
    server.wait_ready("/hello/")
    assert server.get("/hello/").text == "hello"

    views = project_copy / "example_project" / "views.py"
    edited = views.read_text().replace('HttpResponse("hello"', 'HttpResponse("edited"')
    last_saved = 0.0

    def edited_view_served() -> bool:
        # The reloader may still be setting up its file watches when the server already
        # answers; an edit saved before that is not seen, so save it again each second.
        nonlocal last_saved
        if time.monotonic() - last_saved > 1:
            views.write_text(edited)
            last_saved = time.monotonic()
        try:
            return server.get("/hello/").text == "edited"
        except httpx.TransportError:
            return False

    wait_for(edited_view_served, 30, "the edited view to be served")
    assert server.stop() == 0


def test_tls_with_an_encrypted_key_and_its_password(
    servers: ServerFactory, tls_files: dict[str, Path], encrypted_key: Path
) -> None:
    args = {
        "port": free_port(),
        "ssl-certfile": str(tls_files["cert"]),
        "ssl-keyfile": str(encrypted_key),
        "ssl-keyfile-password": ENCRYPTED_KEY_PASSWORD,
    }
    context = ssl.create_default_context(cafile=str(tls_files["ca"]))
    server = servers.start(web(args), "web", scheme="https", client_options={"verify": context})
    server.wait_ready()
    assert server.get("/request-info/").json()["scheme"] == "https"
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url("/health/"), verify=ssl.create_default_context())
    assert server.stop() == 0


def test_websocket_echo(servers: ServerFactory) -> None:
    port = free_port()
    server = servers.start(web({"port": port}), "web")
    server.wait_ready()
    with connect(f"ws://127.0.0.1:{port}/ws/echo/", open_timeout=5) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=5) == "ping"
        websocket.send(b"\x00\x01")
        assert websocket.recv(timeout=5) == b"\x00\x01"
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("trusted", "client", "scheme"),
    [("127.0.0.1", "203.0.113.7", "https"), ("192.0.2.1", "127.0.0.1", "http")],
    ids=["peer-trusted", "peer-not-trusted"],
)
def test_proxy_headers_are_honoured_only_from_trusted_peers(
    servers: ServerFactory, trusted: str, client: str, scheme: str
) -> None:
    args = {"port": free_port(), "proxy-headers": "True", "forwarded-allow-ips": trusted}
    server = servers.start(web(args), "web")
    server.wait_ready()
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    info = server.get("/request-info/", headers=forwarded).json()
    assert (info["client"], info["scheme"]) == (client, scheme)
    assert server.stop() == 0


def test_sigint_stops_gracefully_with_exit_zero(servers: ServerFactory) -> None:
    server = servers.start(web({"port": free_port()}), "web")
    server.wait_ready()
    assert server.stop(signal.SIGINT) == 0
    assert "Shutting down" in server.output()


@pytest.mark.parametrize(("args", "logged"), [({}, True), ({"no-access-log": "True"}, False)])
def test_access_log_follows_args(
    servers: ServerFactory, args: dict[str, str], logged: bool
) -> None:
    server = servers.start(web({"port": free_port(), **args}), "web")
    server.wait_ready()
    server.get("/hello/")
    assert server.stop() == 0
    assert ('"GET /hello/ HTTP/1.1" 200' in server.output()) is logged


def test_repeated_header_option_sends_every_header(servers: ServerFactory) -> None:
    args = {"port": free_port(), "header": ["X-Served-By:prodserver", "X-Team:web"]}
    server = servers.start(web(args), "web")
    server.wait_ready()
    response = server.get("/health/")
    assert response.headers["x-served-by"] == "prodserver"
    assert response.headers["x-team"] == "web"
    assert server.stop() == 0


def test_ipv6_loopback(servers: ServerFactory) -> None:
    try:
        port = free_port("::1")
    except OSError as error:
        pytest.skip(f"this machine has no IPv6 loopback ({error})")
    server = servers.start(web({"host": "::1", "port": port}), "web", host="::1")
    server.wait_ready()
    assert server.get("/health/").status_code == 200
    assert server.stop() == 0


def test_a_failed_start_up_exits_with_the_servers_own_status(servers: ServerFactory) -> None:
    """Django's ASGI handler does not implement lifespan, so ``lifespan: on`` fails start-up."""
    server = servers.start(web({"port": free_port(), "lifespan": "on"}), "web")
    assert server.process.wait(30) == 3
    assert "Application startup failed. Exiting." in server.output()
