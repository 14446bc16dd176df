"""gunicorn's ``access_log_format``, compiled once for ASGI requests.

gunicorn's logger builds every atom for every request (all request and response headers,
a WSGI-like environ, the time as a string) and then escapes them all, only for the format to
use a handful. Here the format is read once: a request computes only the atoms it names,
and the time (``%(t)s``) is formatted once a second. The line is the same, atom for atom, as
gunicorn's ``glogging.Logger.atoms`` would make it, with every value escaped as
``access_log.escaped`` and gunicorn's ``SafeAtoms`` do.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from .access_log import escaped

#: ``%(h)s``, ``%({user-agent}i)s``: the names a %-style format reads from its mapping.
ATOM = re.compile(r"%\(([^)]*)\)")


class Exchange:
    """One request and its response, as an access line needs them."""

    __slots__ = ("_request_headers", "duration", "response_headers", "scope", "sent", "status")

    def __init__(
        self,
        scope: Mapping[str, Any],
        status: int | str = "-",
        response_headers: Iterable[tuple[bytes | str, bytes | str]] = (),
        sent: int = 0,
        duration: float = 0.0,
    ) -> None:
        self.scope = scope
        self.status = status
        self.response_headers = response_headers
        self.sent = sent
        #: Seconds from the request's start to its response's end.
        self.duration = duration
        self._request_headers: dict[str, str] | None = None

    def request_header(self, name: str) -> str | None:
        """The last value of request header ``name`` (lower case), as gunicorn's atoms keep."""
        if self._request_headers is None:
            if "headers" not in self.scope and ENVIRON_KEY in self.scope:
                return header_from_environ(self.scope[ENVIRON_KEY], name)
            self._request_headers = {
                text(key).lower(): text(value) for key, value in self.scope.get("headers", ())
            }
        return self._request_headers.get(name)


#: The two request headers a WSGI environ keeps without the ``HTTP_`` prefix.
UNPREFIXED_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


def header_from_environ(environ: Mapping[str, Any], name: str) -> str | None:
    """Request header ``name`` (lower case) as a WSGI server put it in the environ."""
    key = UNPREFIXED_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")
    value = environ.get(key)
    return None if value is None else str(value)


def text(value: bytes | str) -> str:
    """A header name or value: bytes in an ASGI scope, a string from a WSGI server."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


#: Scope keys of ours, for an exchange read from a WSGI server (``wsgi_exchange``): its
#: environ as it is, and the request URI as the client sent it (gunicorn's RAW_URI).
ENVIRON_KEY = "prodserver.environ"
RAW_URI_KEY = "prodserver.raw_uri"


class Atoms(dict[str, Any]):
    """The computed atoms; any other name is ``-``, as with gunicorn's SafeAtoms."""

    def __missing__(self, key: str) -> str:
        return "-"


class LogTime:
    """``[22/Nov/2026:04:50:01 +0000]``, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def __call__(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._text = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(second))
        return self._text


#: One %-conversion: ``%(name)s``, ``%(s)03d``, ``%%``; a named one has group 1.
CONVERSION = re.compile(r"%(?:\(([^)]*)\))?([#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%])")
#: Atoms whose values never hold a quote, a backslash or a control character: numbers, the
#: time we format, tokens the HTTP parser already checked. The others are escaped.
SAFE_ATOMS = frozenset("ltpsmHbBTDML")


class AccessFormat:
    """A format compiled into the few atom functions it needs, and into one function that
    writes the whole line: ``line(exchange)`` is ``format % atoms(exchange)``, without the
    dictionary, and escaping only the atoms that can need it."""

    def __init__(self, access_log_format: str) -> None:
        self.format = access_log_format
        self.log_time = LogTime()
        self.pid = f"<{os.getpid()}>"
        names = dict.fromkeys(ATOM.findall(access_log_format))
        self.computed: list[tuple[str, Callable[[Exchange], Any]]] = [
            (name, compute) for name in names if (compute := self._atom(name)) is not None
        ]
        self.line: Callable[[Exchange], str] = self._compiled_line() or self._line_from_atoms

    def _line_from_atoms(self, exchange: Exchange) -> str:
        return self.format % self.atoms(exchange)

    def _compiled_line(self) -> Callable[[Exchange], str] | None:
        """One function per format: the format with its names taken out (positional), and
        a tuple of the atoms' values in their order. None for a format that mixes in
        unnamed conversions, which gets the dictionary path (and its error) instead.

        Generated source, because a per-request loop over atom functions costs more than
        the formatting itself; only the repr of a string and indices go into it."""
        namespace: dict[str, Any] = {"_escape": escape_atom}
        values: list[str] = []
        computed: list[str] = []
        unsafe: list[str] = []
        for index, found in enumerate(CONVERSION.finditer(self.format)):
            name, conversion = found.group(1), found.group(2)
            if conversion == "%":
                continue
            if name is None:
                return None
            compute = self._atom(name)
            if compute is None:
                namespace[f"_c{index}"] = "-"
                values.append(f"_c{index}")
                continue
            namespace[f"_a{index}"] = compute
            computed.append(f"    v{index} = _a{index}(exchange)")
            values.append(f"v{index}")
            if name not in SAFE_ATOMS:
                unsafe.append(f"v{index}")
        namespace["_format"] = CONVERSION.sub(
            lambda found: found.group(0) if found.group(2) == "%" else "%" + found.group(2),
            self.format,
        )
        lines = ["def line(exchange):", *computed]
        if unsafe:
            # One check of all the atoms that may need escaping; each is escaped only when
            # one of them does (a quote, a backslash or a control character somewhere).
            probe = "".join(f"{{{name}}}" for name in unsafe)
            lines += [
                f'    probe = f"{probe}"',
                "    if not probe.isprintable() or '\"' in probe or '\\\\' in probe:",
                *(f"        {name} = _escape({name})" for name in unsafe),
            ]
        arguments = f"({', '.join(values)},)" if values else "()"
        lines.append(f"    return _format % {arguments}")
        source = "\n".join(lines) + "\n"
        exec(compile(source, "<access-log-format>", "exec"), namespace)
        compiled: Callable[[Exchange], str] = namespace["line"]
        return compiled

    def atoms(self, exchange: Exchange) -> Atoms:
        """The atoms this format reads, escaped, keyed as the format names them."""
        atoms = Atoms()
        for name, compute in self.computed:
            atoms[name] = escape_atom(compute(exchange))
        return atoms

    def _atom(self, name: str) -> Callable[[Exchange], Any] | None:
        fixed = FIXED_ATOMS.get(name)
        if fixed is not None:
            return fixed
        if name == "t":
            return lambda exchange: self.log_time()
        if name == "p":
            return lambda exchange: self.pid
        if name.startswith("{") and len(name) > 3 and name[-2] == "}":
            key, kind = name[1:-2].lower(), name[-1].lower()
            if kind == "i":
                return lambda exchange: exchange.request_header(key) or "-"
            if kind == "o":
                return lambda exchange: _response_header(exchange, key)
            if kind == "e":
                return lambda exchange: _environ(exchange).get(key, "-")
        return None  # unknown: "-", as in gunicorn


def escape_atom(value: Any) -> Any:
    """A string as gunicorn's SafeAtoms and our ``escaped`` leave it; other values as they are."""
    if not isinstance(value, str):
        return value
    if value.isprintable() and "\\" not in value and '"' not in value:
        return value
    return escaped(value).replace('"', '\\"')


def _client(exchange: Exchange) -> str:
    client = exchange.scope.get("client")
    return str(client[0]) if client else "-"


def _query(exchange: Exchange) -> str:
    query: bytes = exchange.scope.get("query_string", b"")
    return query.decode("latin-1")


def _protocol(exchange: Exchange) -> str:
    return f"HTTP/{exchange.scope.get('http_version', '1.1')}"


def _raw_uri(exchange: Exchange) -> str:
    given: str | None = exchange.scope.get(RAW_URI_KEY)
    if given is not None:
        return given
    if ENVIRON_KEY in exchange.scope and "raw_path" not in exchange.scope:
        # A WSGI server that keeps no raw URI (waitress): the path percent-encoded again.
        query = _query(exchange)
        path = quote(exchange.scope["path"].encode("latin-1"), safe="/;=,:@!$&'()*+~")
        return f"{path}?{query}" if query else path
    raw_path = exchange.scope.get("raw_path") or exchange.scope["path"].encode()
    query = _query(exchange)
    uri: str = raw_path.decode("latin-1")
    return f"{uri}?{query}" if query else uri


def _request_line(exchange: Exchange) -> str:
    return f"{exchange.scope['method']} {_raw_uri(exchange)} {_protocol(exchange)}"


def _user(exchange: Exchange) -> str:
    """The user name of HTTP Basic authentication, as gunicorn's ``_get_user`` reads it."""
    authorization = exchange.request_header("authorization")
    if not authorization or not authorization.lower().startswith("basic"):
        return "-"
    parts = authorization.split(" ", 1)
    if len(parts) != 2:
        return "-"
    try:
        decoded = base64.b64decode(parts[1].strip().encode("utf-8"))
        return decoded.split(b":", 1)[0].decode("utf-8") or "-"
    except (TypeError, binascii.Error, UnicodeDecodeError):
        return "-"


def _status(exchange: Exchange) -> int | str:
    status = exchange.status
    return status.split(None, 1)[0] if isinstance(status, str) else status


def _response_header(exchange: Exchange, name: str) -> str:
    found = "-"
    for key, value in exchange.response_headers:
        if text(key).lower() == name:
            found = text(value)
    return found


def _environ(exchange: Exchange) -> dict[str, str]:
    """The environ, keyed in lower case as gunicorn's ``{name}e`` atoms look it up: a WSGI
    server's own, or the one an ASGI scope would give."""
    from .access_log import wsgi_like_environ

    environ = exchange.scope.get(ENVIRON_KEY)
    if environ is None:
        headers = [(text(key), text(value)) for key, value in exchange.scope.get("headers", ())]
        environ = wsgi_like_environ(dict(exchange.scope), headers)
    return {key.lower(): str(value) for key, value in environ.items()}


def _seconds(exchange: Exchange) -> int:
    return _microseconds(exchange) // 1_000_000


def _microseconds(exchange: Exchange) -> int:
    """Rounded to the microsecond, as gunicorn's ``timedelta`` of the request time is."""
    return round(exchange.duration * 1_000_000)


FIXED_ATOMS: dict[str, Callable[[Exchange], Any]] = {
    "h": _client,
    "l": lambda exchange: "-",
    "u": _user,
    "r": _request_line,
    "s": _status,
    "m": lambda exchange: exchange.scope["method"],
    "U": lambda exchange: exchange.scope["path"],
    "q": _query,
    "H": _protocol,
    "b": lambda exchange: str(exchange.sent),
    "B": lambda exchange: exchange.sent,
    "f": lambda exchange: exchange.request_header("referer") or "-",
    "a": lambda exchange: exchange.request_header("user-agent") or "-",
    "T": _seconds,
    "D": _microseconds,
    "M": lambda exchange: _microseconds(exchange) // 1000,
    "L": lambda exchange: "{}.{:06d}".format(*divmod(_microseconds(exchange), 1_000_000)),
}


def json_fields(exchange: Exchange, request_id_header: str) -> dict[str, Any]:
    """An access line's fields in JSON logs. Values are as received (JSON escapes them)."""
    status = _status(exchange)
    return {
        "method": exchange.scope["method"],
        "path": exchange.scope["path"],
        "query": _query(exchange),
        "status": int(status) if isinstance(status, str) and status.isdigit() else status,
        "bytes": exchange.sent,
        "duration_ms": round(exchange.duration * 1000, 3),
        "client": _client(exchange),
        "user_agent": exchange.request_header("user-agent"),
        "request_id": exchange.request_header(request_id_header),
    }
