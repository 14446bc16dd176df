"""Request size limits on every backend, against real servers: gunicorn's three limits,
with its defaults and status codes (414 for the request line, 431 for header fields), under
both of uvicorn's HTTP parsers; and a huge header is refused before it is read whole."""

from __future__ import annotations

import socket
from typing import Any

import gunicorn
import httpx
import pytest

from .support.processes import GUNICORN, GUNICORN_UVICORN, UVICORN, UVICORN_WSGI, web_on
from .support.servers import ServerFactory, ServerProcess, free_port

pytestmark = [pytest.mark.server, pytest.mark.server_matrix]

CASES = {
    "UvicornServer-httptools": (UVICORN, {"http": "httptools"}),
    "UvicornServer-h11": (UVICORN, {"http": "h11"}),
    "UvicornWSGIServer": (UVICORN_WSGI, {}),
    "GunicornUvicornServer-httptools": (GUNICORN_UVICORN, {"workers": 1}),
    "GunicornUvicornServer-h11": (GUNICORN_UVICORN, {"workers": 1, "http": "h11"}),
    "GunicornServer": (GUNICORN, {"workers": 1}),
}


def started(servers: ServerFactory, backend: str, args: dict[str, Any]) -> ServerProcess:
    server = servers.start(web_on(backend, free_port(), **args), "web")
    server.wait_ready("/health/")
    return server


def status_of(server: ServerProcess, path: str = "/health/", **headers: str) -> int:
    try:
        return server.get(path, headers=headers).status_code
    except httpx.RemoteProtocolError:
        return 0  # closed without a response


@pytest.mark.parametrize(("backend", "args"), CASES.values(), ids=CASES.keys())
def test_gunicorns_default_limits_and_status_codes(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    server = started(servers, backend, args)
    assert status_of(server) == 200
    assert status_of(server, "/health/?" + "a" * 4000) == 200
    # gunicorn's own workers (GunicornServer) answered 400 here before gunicorn 24.
    line_status = 400 if backend == GUNICORN and gunicorn.version_info < (24,) else 414
    assert status_of(server, "/health/?" + "a" * 5000) == line_status
    assert status_of(server, **{"X-Big": "b" * 8000}) == 200
    assert status_of(server, **{"X-Big": "b" * 9000}) == 431
    many = {f"X-H{number}": "1" for number in range(101)}
    assert status_of(server, **many) == 431
    assert status_of(server) == 200  # and it still serves
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("backend", "args"),
    [(UVICORN, {}), (GUNICORN_UVICORN, {"workers": 1})],
    ids=["UvicornServer", "GunicornUvicornServer"],
)
def test_limits_set_in_args(servers: ServerFactory, backend: str, args: dict[str, Any]) -> None:
    limits = {"limit-request-line": 100, "limit-request-field_size": 100, "limit-request-fields": 5}
    server = started(servers, backend, {**args, **limits})
    assert status_of(server, "/health/?" + "a" * 200) == 414
    assert status_of(server, **{"X-Big": "b" * 200}) == 431
    assert status_of(server, **{f"X-H{number}": "1" for number in range(10)}) == 431
    assert status_of(server) == 200
    assert server.stop() == 0


@pytest.mark.parametrize(("backend", "args"), list(CASES.values())[:4], ids=list(CASES)[:4])
def test_a_huge_header_is_refused_before_it_is_read_whole(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    server = started(servers, backend, args)
    port = int(server.base_url.rsplit(":", 1)[1])
    head = b"GET /health/ HTTP/1.1\r\nHost: localhost\r\nUser-Agent: "
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        try:
            client.sendall(head)
            for _ in range(8 * 1024):  # up to 8 MiB, 1 KiB at a time, until refused
                client.sendall(b"x" * 1024)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = client.recv(4096)
        except ConnectionResetError:
            answer = b"reset"  # closed while we were still sending: refused all the same
    assert answer.startswith((b"HTTP/1.1 431", b"reset")), answer
    assert status_of(server) == 200
    assert server.stop() == 0


WIDE_FORMAT = {"access-logfile": "-", "access-logformat": "%(a)s %({x-a}i)s %({x-b}i)s"}


@pytest.mark.parametrize(
    ("backend", "args"),
    [
        (GUNICORN, WIDE_FORMAT),
        (GUNICORN_UVICORN, WIDE_FORMAT),
        (UVICORN, {"limit-request-line": 0, "workers": 2}),
    ],
    ids=["GunicornServer", "GunicornUvicornServer", "UvicornServer-2-workers"],
)
def test_one_access_line_is_capped(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    """A line that would be 24 KB (three 8 KB headers in a wide format, or a 60 KB URL with
    the line limit off) is written as at most 16 KiB."""
    server = started(servers, backend, args)
    if backend == UVICORN:
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(
                b"GET /health/?" + b"z" * 60_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            )
            assert client.recv(100).startswith(b"HTTP/1.1 200")
    else:
        wide = "z" * 8000
        server.get("/health/", headers={"User-Agent": wide, "X-A": wide, "X-B": wide})
    assert server.stop() == 0
    lines = [line for line in server.output().splitlines() if "zzzz" in line]
    assert len(lines) == 1, server.output()[-2000:]
    assert len(lines[0]) < 17 * 1024
    assert "characters cut]" in lines[0]
