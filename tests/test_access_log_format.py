"""``"access-log-format"``: gunicorn's atoms on every HTTP backend, against real requests to
real servers, read from the process output; and lines that a request cannot break."""

from __future__ import annotations

import base64
import json
import re
import socket
from typing import Any

import pytest

from .support.processes import (
    GRANIAN,
    GRANIAN_WSGI,
    GUNICORN,
    GUNICORN_UVICORN,
    UVICORN,
    UVICORN_WSGI,
    WAITRESS,
    web_on,
)
from .support.servers import ServerFactory, ServerProcess, free_port, wait_for

pytestmark = pytest.mark.server

VIEWS = {"ROOT_URLCONF": "tests.handler_views"}
ATOMS = [*"hlutrmUqHsBbfaTDMLp", "{x-test}i", "{content-type}o", "{remote_addr}e"]
#: Each atom between markers, so that the line splits back into them.
EVERY_ATOM = "ATOMS|" + "|".join(f"%({atom})s" for atom in ATOMS) + "|END"
CLIENT = "203.0.113.7"
PROXY_ARGS = {
    UVICORN: {"proxy-headers": True, "forwarded-allow-ips": "127.0.0.1"},
    UVICORN_WSGI: {"proxy-headers": True, "forwarded-allow-ips": "127.0.0.1"},
    GUNICORN_UVICORN: {"proxy-headers": True, "forwarded-allow-ips": "127.0.0.1"},
}
BACKENDS = {"UvicornServer": UVICORN, "UvicornWSGIServer": UVICORN_WSGI}
BACKENDS["GunicornUvicornServer"] = GUNICORN_UVICORN
#: Each backend direct and behind proxy headers; gunicorn's own workers keep the peer's
#: address in REMOTE_ADDR whatever the headers say, so GunicornServer is asked directly.
ATOM_CASES = {
    **{f"{name}-direct": (backend, False) for name, backend in BACKENDS.items()},
    **{f"{name}-proxy-headers": (backend, True) for name, backend in BACKENDS.items()},
    "GunicornServer-direct": (GUNICORN, False),
    "WaitressServer-direct": (WAITRESS, False),
}


def started(servers: ServerFactory, backend: str, **args: Any) -> ServerProcess:
    server = servers.start(web_on(backend, free_port(), **args), "web", overrides=VIEWS)
    server.wait_ready()
    return server


def atom_lines(server: ServerProcess, marker: str) -> list[dict[str, str]]:
    """The atoms of each access line for a request whose line has ``marker``."""

    def lines() -> list[str]:
        output = server.output().splitlines()
        return [line for line in output if line.startswith("ATOMS|") and marker in line]

    wait_for(lambda: bool(lines()), 10, f"an access line with {marker}")
    return [dict(zip(ATOMS, line.split("|")[1:-1], strict=True)) for line in lines()]


@pytest.mark.parametrize(("backend", "proxied"), ATOM_CASES.values(), ids=ATOM_CASES.keys())
def test_every_atom_of_a_real_request(servers: ServerFactory, backend: str, proxied: bool) -> None:
    if backend == WAITRESS:
        pytest.importorskip("waitress")
    args = PROXY_ARGS[backend] if proxied else {}
    server = started(servers, backend, **{"access-log-format": EVERY_ATOM, **args})
    credentials = base64.b64encode(b"alice:secret").decode()
    headers = {
        "Authorization": f"Basic {credentials}",
        "Referer": "https://example.test/from",
        "User-Agent": "atom-test/1.0",
        "X-Test": "given",
        **({"X-Forwarded-For": CLIENT} if proxied else {}),
    }
    response = server.get("/?name=Ann&x=1", headers=headers)
    assert response.text == "Hello Ann!"
    [atoms] = atom_lines(server, "name=Ann")
    client = CLIENT if proxied else "127.0.0.1"
    assert atoms["h"] == client
    assert atoms["l"] == "-"
    assert atoms["u"] == "alice"
    assert re.fullmatch(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]", atoms["t"])
    assert atoms["r"] == "GET /?name=Ann&x=1 HTTP/1.1"
    assert (atoms["m"], atoms["U"], atoms["q"], atoms["H"]) == (
        "GET",
        "/",
        "name=Ann&x=1",
        "HTTP/1.1",
    )
    assert atoms["s"] == "200"
    assert atoms["B"] == atoms["b"] == str(len(response.content))
    assert atoms["f"] == "https://example.test/from"
    assert atoms["a"] == "atom-test/1.0"
    assert atoms["T"] == "0"
    assert int(atoms["D"]) > 0
    assert int(atoms["M"]) == int(atoms["D"]) // 1000
    assert re.fullmatch(r"0\.\d{6}", atoms["L"])
    assert re.fullmatch(r"<\d+>", atoms["p"])
    assert atoms["{x-test}i"] == "given"
    assert atoms["{content-type}o"] == "text/html; charset=utf-8"
    assert atoms["{remote_addr}e"] == client
    assert '"GET /?name=Ann&x=1 HTTP/1.1" 200' not in server.output(), "uvicorn's line too"
    assert server.stop() == 0


def raw_request(server: ServerProcess, head: bytes) -> None:
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(head)
        while connection.recv(65536):
            pass


#: A path that decodes to a line break, a quote and a terminal escape, and a header with a
#: quote and a tab: none may end the line, forge another, or reach the terminal raw.
FORGING_REQUEST = (
    b"GET /%0A127.0.0.1%20-%20forged%22line%1B[31m HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b'User-Agent: agent"\tq\r\nConnection: close\r\n\r\n'
)
ESCAPED_LINE = 'LINE /\\n127.0.0.1 - forged\\"line\\x1b[31m "agent\\"\\tq" 404'


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
@pytest.mark.parametrize(
    "backend",
    [UVICORN, GUNICORN_UVICORN, GUNICORN],
    ids=["uvicorn", "gunicorn-uvicorn", "gunicorn"],
)
def test_a_request_cannot_break_or_forge_a_line(
    servers: ServerFactory, backend: str, json_lines: bool
) -> None:
    args: dict[str, Any] = {"access-log-format": 'LINE %(U)s "%(a)s" %(s)s'}
    if json_lines:
        args["log-format"] = "json"
    server = started(servers, backend, **args)
    raw_request(server, FORGING_REQUEST)

    def access_lines() -> list[str]:
        lines = server.output().splitlines()
        return [line for line in lines if "LINE /" in line and "forged" in line]

    wait_for(lambda: bool(access_lines()), 10, "the access line")
    assert server.stop() == 0
    lines = server.output().splitlines()
    [line] = access_lines()
    assert "\x1b" not in line
    assert not [other for other in lines if other.startswith("127.0.0.1 - forged")]
    if json_lines:
        assert all(json.loads(each) for each in lines), "a line that is not JSON"
        record = json.loads(line)
        assert record["message"] == ESCAPED_LINE
        assert record["path"] == '/\n127.0.0.1 - forged"line\x1b[31m'
        assert record["user_agent"] == 'agent"\tq'
    else:
        assert line.endswith(ESCAPED_LINE)


def test_no_access_log_still_turns_our_lines_off(servers: ServerFactory) -> None:
    server = started(servers, UVICORN, **{"access-log-format": EVERY_ATOM, "access-log": False})
    server.get("/")
    assert server.stop() == 0
    assert "ATOMS|" not in server.output()
    assert '"GET / HTTP/1.1" 200' not in server.output()


OFF_BY_DEFAULT: dict[str, tuple[str, dict[str, Any]]] = {
    "GunicornServer": (GUNICORN, {}),
    "GranianASGIServer": (GRANIAN, {}),
    "GranianWSGIServer": (GRANIAN_WSGI, {}),
    "WaitressServer": (WAITRESS, {}),
}


@pytest.mark.parametrize(("backend", "args"), OFF_BY_DEFAULT.values(), ids=OFF_BY_DEFAULT.keys())
def test_a_format_turns_access_lines_on_where_the_server_has_them_off(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    pytest.importorskip("granian" if "granian" in backend else backend.split(".")[2])
    line_format = 'FMT %(h)s "%(r)s" %(s)s %(m)s %(U)s %(q)s %(H)s %(a)s %({x-test}i)s'
    server = started(servers, backend, **{"access-log-format": line_format, **args})
    server.get("/?name=Bo", headers={"User-Agent": "fmt-test", "X-Test": "yes"})
    wait_for(lambda: "fmt-test" in server.output(), 10, "the access line")
    assert server.stop() == 0
    [line] = [line for line in server.output().splitlines() if "fmt-test" in line]
    request_line = "GET / HTTP/1.1" if "granian" in backend else "GET /?name=Bo HTTP/1.1"
    assert line.endswith(
        f'FMT 127.0.0.1 "{request_line}" 200 GET / name=Bo HTTP/1.1 fmt-test yes'
    ), line


def test_gunicorn_by_hand_with_our_worker_writes_no_access_lines_without_a_file(
    servers: ServerFactory,
) -> None:
    """As gunicorn's own workers: no ``--access-logfile``, no access lines. Under
    prodserver, GunicornUvicornServer writes them to stdout (as uvicorn would)."""
    import sys

    from .support.servers import REPO_ROOT

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "tests.asgi_apps:hello",
        f"--bind=127.0.0.1:{port}",
        "--worker-class=django_prodserver.workers.UvicornWorker",
    ]
    server = servers.start_command(command, port, cwd=REPO_ROOT, env={})
    server.wait_ready("/")
    server.get("/")
    under_prodserver = started(servers, GUNICORN_UVICORN)
    under_prodserver.get("/?name=Cy")
    wait_for(lambda: '"GET /?name=Cy HTTP/1.1" 200' in under_prodserver.output(), 10, "a line")
    assert server.stop() == 0
    assert '"GET / HTTP/1.1"' not in server.output()


def test_waitress_keeps_its_framing_and_file_sending_with_access_lines(
    servers: ServerFactory,
) -> None:
    """Around the WSGI app, our lines change nothing waitress does: a one-item body still
    gets its Content-Length, a file is still sent through waitress's file wrapper."""
    pytest.importorskip("waitress")
    from .handler_views import FILE

    server = started(servers, WAITRESS, **{"access-log-format": "BODY %(U)s %(s)s %(B)s"})
    hello = server.get("/?name=Di")
    assert hello.headers["content-length"] == str(len(hello.content))
    assert "transfer-encoding" not in hello.headers
    served = server.get("/file/")
    assert served.content == FILE.read_bytes()
    wait_for(lambda: "BODY /file/" in server.output(), 10, "the file's access line")
    assert server.stop() == 0
    output = server.output()
    assert f"BODY / 200 {len(hello.content)}" in output
    assert f"BODY /file/ 200 {FILE.stat().st_size}" in output


@pytest.mark.parametrize("backend", [UVICORN, GUNICORN_UVICORN], ids=["Uvicorn", "GunicornUvicorn"])
def test_every_line_of_a_burst_is_written_once_before_the_stop(
    servers: ServerFactory, backend: str
) -> None:
    """Lines are written together after each turn of the event loop: none is lost or
    doubled under concurrent requests, and the last ones are out before the process ends."""
    from concurrent.futures import ThreadPoolExecutor

    server = started(servers, backend, **{"access-log-format": "BURST %(q)s %(s)s"})
    names = [f"name=burst{number}" for number in range(200)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda query: server.get(f"/?{query}").status_code, names))
    assert statuses == [200] * len(names)
    assert server.stop() == 0
    lines = [line for line in server.output().splitlines() if line.startswith("BURST name=")]
    assert sorted(lines) == sorted(f"BURST {query} 200" for query in names)
