"""The compiled access format writes exactly the line gunicorn's logger writes, atom for
atom, escapes included; and computes only what the format names."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger, SafeAtoms

from django_prodserver.runtime.access_format import (
    ENVIRON_KEY,
    RAW_URI_KEY,
    AccessFormat,
    Exchange,
)
from django_prodserver.runtime.access_log import (
    _Request,
    _Response,
    escape_access_atoms,
    wsgi_exchange,
    wsgi_like_environ,
)

EVERY_ATOM = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(m)s %(U)s %(q)s %(H)s %(b)s %(B)s "%(f)s" '
    '"%(a)s" %(T)s %(D)s %(M)s %(L)s %(p)s %({x-request-id}i)s %({X-Custom}o)s '
    "%({remote_addr}e)s %({nothing}i)s %(unknown)s"
)

REQUESTS = {
    "plain": {
        "headers": [(b"user-agent", b"curl/8"), (b"referer", b"https://example.com/")],
        "query_string": b"a=1&b=2",
    },
    "basic auth, repeated header": {
        "headers": [
            (b"authorization", b"Basic " + base64.b64encode(b"alice:secret")),
            (b"x-request-id", b"first"),
            (b"x-request-id", b"second"),
        ],
        "query_string": b"",
    },
    "quotes and line breaks": {
        "headers": [
            (b"user-agent", b'evil" 200 "forged\r\n127.0.0.1 - - [x] "GET / HTTP/1.1"'),
            (b"referer", b"tab\there\\back"),
        ],
        "query_string": b"q=%22",
    },
}


def gunicorns_line(fmt: str, scope: dict[str, Any], status: int, sent: int) -> str:
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", fmt)
    log = Logger(config)
    escape_access_atoms(log)
    response = _Response()
    response.status, response.sent = status, sent
    response.headers = [("X-Custom", 'yes "really"'), ("Content-Type", "text/plain")]
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    atoms = log.atoms(
        response,
        _Request(headers),
        wsgi_like_environ(scope, headers),
        datetime.timedelta(seconds=1, microseconds=500000),
    )
    line: str = fmt % SafeAtoms(atoms)
    return line


@pytest.mark.parametrize("request_parts", REQUESTS.values(), ids=REQUESTS.keys())
def test_the_line_is_gunicorns(request_parts: dict[str, Any]) -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/päth/",
        "raw_path": b"/p%C3%A4th/",
        "http_version": "1.1",
        "client": ("203.0.113.9", 50000),
        **request_parts,
    }
    compiled = AccessFormat(EVERY_ATOM)
    exchange = Exchange(
        scope,
        status=201,
        response_headers=[(b"X-Custom", b'yes "really"'), (b"Content-Type", b"text/plain")],
        sent=1234,
        duration=1.5,
    )
    ours = EVERY_ATOM % compiled.atoms(exchange)
    assert ours == gunicorns_line(EVERY_ATOM, scope, 201, 1234)
    assert compiled.line(exchange) == ours  # the compiled line, without the dictionary
    assert "\n" not in ours
    assert "\r" not in ours


FORMATS = {
    "conversions": "%(s)03d %(B)5d %(D)x %(L)s%% done %%(h)s %(h)r %(l)5s %(l)s %(nothing)3s",
    "no atoms": "a fixed %% line",
    "literals an f-string would read": "{x} 'single' \"double\" \\back\t %% %(h)s {%(s)s}",
    "repeated and unknown": "%(h)s %(h)s %(nothing)s %({x-request-id}i)s",
}


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
def test_the_compiled_line_is_the_format_applied_to_the_atoms(fmt: str) -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "client": ("203.0.113.9", 1),
        "headers": [(b"x-request-id", b'a"b')],
    }
    exchange = Exchange(scope, status=200, sent=17, duration=0.25)
    compiled = AccessFormat(fmt)
    assert compiled.line(exchange) == fmt % compiled.atoms(exchange)


def test_a_format_with_unnamed_conversions_keeps_the_dictionary_path() -> None:
    compiled = AccessFormat("%(h)s %s")
    with pytest.raises(TypeError):
        compiled.line(Exchange({"type": "http", "client": ("a", 1), "headers": []}))


def test_only_the_atoms_the_format_names_are_computed() -> None:
    compiled = AccessFormat('%(h)s "%(r)s" %(s)s')
    assert [name for name, _ in compiled.computed] == ["h", "r", "s"]
    atoms = compiled.atoms(Exchange({"method": "GET", "path": "/", "client": None}, status=200))
    assert dict(atoms) == {"h": "-", "r": "GET / HTTP/1.1", "s": 200}
    assert atoms["anything else"] == "-"


@pytest.fixture
def formatted_times(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time ``time.strftime`` formats, with the clock at a fixed second."""
    import time

    formatted: list[str] = []
    original_strftime = time.strftime

    def strftime(*args: Any) -> str:
        formatted.append(args[0])
        return original_strftime(*args)

    monkeypatch.setattr(time, "strftime", strftime)
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.25)
    return formatted


def test_the_time_is_formatted_once_a_second(
    formatted_times: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    compiled = AccessFormat("%(t)s")
    exchange = Exchange({"method": "GET", "path": "/"})
    first = [compiled.atoms(exchange)["t"] for _ in range(100)]
    assert len(set(first)) == 1
    assert len(formatted_times) == 1
    monkeypatch.setattr(time, "time", lambda: 1_800_000_001.0)
    compiled.atoms(exchange)
    assert len(formatted_times) == 2


def test_the_compiled_line_formats_the_time_once_a_second(
    formatted_times: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    compiled = AccessFormat("%(t)s %(s)s")
    exchange = Exchange({"method": "GET", "path": "/"}, status=200)
    lines = {compiled.line(exchange) for _ in range(100)}
    assert len(lines) == 1
    assert len(formatted_times) == 1
    monkeypatch.setattr(time, "time", lambda: 1_800_000_001.0)
    assert compiled.line(exchange) != lines.pop()
    assert len(formatted_times) == 2
    assert compiled.line(exchange) == compiled.format % compiled.atoms(exchange)


def test_line_at_tick_writes_the_time_of_the_last_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    compiled = AccessFormat("%(t)s")
    exchange = Exchange({"method": "GET", "path": "/"})
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.5)
    compiled.tick()
    ticked = compiled.line_at_tick(exchange)
    monkeypatch.setattr(time, "time", lambda: 1_800_000_005.5)
    assert compiled.line_at_tick(exchange) == ticked  # no clock read
    assert compiled.line(exchange) != ticked  # reads it
    compiled.tick()
    assert compiled.line_at_tick(exchange) == compiled.line(exchange)


def test_request_headers_from_an_asgi_scope_a_wsgi_server_and_an_environ() -> None:
    asgi = Exchange({"headers": [(b"user-agent", b"one"), (b"user-agent", b"two")]})
    assert asgi.request_header("user-agent") == "two"  # the last, as gunicorn keeps
    gunicorns = Exchange({"headers": [("USER-AGENT", "curl"), ("X-ID", "7")]})
    assert gunicorns.request_header("user-agent") == "curl"
    assert gunicorns.request_header("x-id") == "7"
    environ = {"HTTP_USER_AGENT": "wget", "CONTENT_TYPE": "text/plain", "PATH_INFO": "/"}
    from_environ = Exchange({ENVIRON_KEY: environ, "method": "GET", "path": "/"})
    assert from_environ.request_header("user-agent") == "wget"
    assert from_environ.request_header("content-type") == "text/plain"
    assert from_environ.request_header("path-info") is None
    assert from_environ.request_header("referer") is None


@pytest.mark.parametrize(
    ("scope", "request_line"),
    [
        (
            {"raw_path": b"/a%20b", "query_string": b"x=1", "path": "/a b"},
            "GET /a%20b?x=1 HTTP/1.0",
        ),
        ({"path": "/plain", "query_string": b""}, "GET /plain HTTP/1.0"),
        ({RAW_URI_KEY: "/as?sent", "path": "/as"}, "GET /as?sent HTTP/1.0"),
        (
            {ENVIRON_KEY: {}, "path": "/\u00c3\u00a4 b", "query_string": b"q"},
            "GET /%C3%A4%20b?q HTTP/1.0",
        ),
    ],
    ids=["asgi raw path", "no raw path", "a wsgi server's raw uri", "waitress: none kept"],
)
def test_the_request_line_of_each_kind_of_exchange(
    scope: dict[str, Any], request_line: str
) -> None:
    exchange = Exchange({"method": "GET", "http_version": "1.0", **scope})
    compiled = AccessFormat("%(r)s")
    assert compiled.line(exchange) == request_line
    assert compiled.atoms(exchange)["r"] == request_line


WSGI_FORMAT = EVERY_ATOM + " %({wsgi.url_scheme}e)s %({HTTP_X_REQUEST_ID}e)s"


@pytest.mark.parametrize("request_parts", REQUESTS.values(), ids=REQUESTS.keys())
def test_gunicorns_own_workers_write_gunicorns_line(request_parts: dict[str, Any]) -> None:
    """GunicornServer's sync and gthread workers: gunicorn's ``access()`` arguments, through
    the compiled format, give the line gunicorn's own logger gives."""
    headers = [
        (name.decode().upper(), value.decode("latin-1")) for name, value in request_parts["headers"]
    ]
    query = request_parts["query_string"].decode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/p%C3%A4th/" + (f"?{query}" if query else ""),
        "PATH_INFO": "/päth/".encode().decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "wsgi.url_scheme": "http",
        **{"HTTP_" + name.replace("-", "_"): value for name, value in headers},
    }
    response = _Response()
    response.status, response.sent = "201 Created", 1234
    response.headers = [("X-Custom", 'yes "really"'), ("Content-Type", "text/plain")]
    request_time = datetime.timedelta(seconds=1, microseconds=500001)

    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", WSGI_FORMAT)
    gunicorn = Logger(config)
    escape_access_atoms(gunicorn)  # the prodserver master's logger: every atom escaped

    def gunicorns_line() -> str:
        atoms = gunicorn.atoms(response, _Request(headers), environ, request_time)
        return str(WSGI_FORMAT % SafeAtoms(atoms))

    # %(t)s is the current second: one of the lines made before and after ours has ours.
    before = gunicorns_line()
    exchange = wsgi_exchange(response, _Request(headers), environ, request_time)
    ours = AccessFormat(WSGI_FORMAT).line(exchange)
    assert ours in (before, gunicorns_line())
    assert "\n" not in ours


def test_a_custom_logger_class_keeps_its_own_access() -> None:
    class Custom(Logger):  # type: ignore[misc]
        pass

    config = Config()
    custom = Custom(config)
    escape_access_atoms(custom)
    assert custom.access.__func__ is Logger.access
