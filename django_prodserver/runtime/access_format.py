"""gunicorn's ``access_log_format``, compiled once for ASGI requests.

gunicorn's logger builds every atom for every request (all request and response headers,
a WSGI-like environ, the time as a string) and then escapes them all, only for the format to
use a handful. Here the format is read once: a request computes only the atoms it names,
and the time (``%(t)s``) is formatted once a second. The line is the same, atom for atom, as
gunicorn's ``glogging.Logger.atoms`` would make it, with every value escaped as
``escaped`` and gunicorn's ``SafeAtoms`` do.
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

#: Escapes for what must never reach a log line raw: line breaks (a forged second line),
#: backslashes (which would make gunicorn's own escaping of quotes ambiguous), and terminal
#: escape sequences. gunicorn escapes the quotes itself (SafeAtoms).
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(text: str) -> str:
    """``text`` safe inside one log line: control characters as ``\\xNN`` (or ``\\n``),
    backslashes doubled, everything else as it was."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if not char.isprintable() else char)
        for char in text
    )


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
        self._request_headers: dict[bytes, bytes | str] | None = None

    def request_header(self, name: str) -> str | None:
        """The last value of request header ``name`` (lower case), as gunicorn's atoms keep."""
        value = self.request_headers().get(name.encode("latin-1"))
        return None if value is None else text(value)

    def request_headers(self) -> dict[bytes, bytes | str]:
        """The request headers by lower-case name in bytes, read from the scope once."""
        headers = self._request_headers
        if headers is None:
            scope = self.scope
            if "headers" not in scope and ENVIRON_KEY in scope:
                headers = headers_from_environ(scope[ENVIRON_KEY])
            else:
                headers = headers_by_name(scope.get("headers", ()))
            self._request_headers = headers
        return headers


def headers_by_name(
    headers: Iterable[tuple[bytes, bytes]] | Iterable[tuple[str, str]],
) -> dict[bytes, bytes | str]:
    """Request headers by name, the last value kept. An ASGI server's names are lower-case
    bytes already (the ASGI spec asks for that, and uvicorn's parsers do it), so those take
    one ``dict()``; a WSGI server's (gunicorn's ``req.headers``) are text in upper case."""
    pairs: list[tuple[Any, Any]] = headers if isinstance(headers, list) else list(headers)
    if not pairs or isinstance(pairs[0][0], bytes):
        return dict(pairs)
    return {str(key).lower().encode("latin-1"): value for key, value in pairs}


#: The two request headers a WSGI environ keeps without the ``HTTP_`` prefix.
UNPREFIXED_HEADERS = {"CONTENT_TYPE": b"content-type", "CONTENT_LENGTH": b"content-length"}


def headers_from_environ(environ: Mapping[str, Any]) -> dict[bytes, bytes | str]:
    """The request headers a WSGI server put in the environ, by name as in an ASGI scope."""
    headers: dict[bytes, bytes | str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-").encode("latin-1")] = str(value)
        elif key in UNPREFIXED_HEADERS:
            headers[UNPREFIXED_HEADERS[key]] = str(value)
    return headers


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


LOG_TIME_FORMAT = "[%d/%b/%Y:%H:%M:%S %z]"


def _stamp(second: int) -> str:
    return time.strftime(LOG_TIME_FORMAT, time.localtime(second))


#: One %-conversion: ``%(name)s``, ``%(s)03d``, ``%%``; a named one has group 1.
CONVERSION = re.compile(r"%(?:\(([^)]*)\))?([#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%])")
#: Atoms whose values never hold a quote, a backslash or a control character: numbers, the
#: time we format, tokens the HTTP parser already checked. The others are escaped.
SAFE_ATOMS = frozenset("ltpsmHbBTDML")
DURATION_ATOMS = frozenset("TDML")


class AccessFormat:
    """A format compiled into the few atom functions it needs, and into one function that
    writes the whole line: ``line(exchange)`` is ``format % atoms(exchange)``, without the
    dictionary, and escaping only the atoms that can need it."""

    def __init__(self, access_log_format: str) -> None:
        self.format = access_log_format
        self.pid = f"<{os.getpid()}>"
        names = dict.fromkeys(ATOM.findall(access_log_format))
        #: Whether a line needs the request's duration.
        self.uses_duration = not DURATION_ATOMS.isdisjoint(names)
        self.computed: list[tuple[str, Callable[[Exchange], Any]]] = [
            (name, compute) for name in names if (compute := self._atom(name)) is not None
        ]
        #: The time as ``%(t)s`` writes it, and its second: set by ``line`` (each call), or
        #: by ``tick`` for ``line_at_tick``.
        self.clock: list[Any] = [-1, ""]
        compiled = self._compiled_lines()
        self.line: Callable[[Exchange], str] = compiled[0] if compiled else self._line_from_atoms
        #: ``line`` with the time of the last ``tick()``: for lines made in one moment
        #: (one turn of an event loop), the clock read once for all of them.
        self.line_at_tick: Callable[[Exchange], str] = compiled[1] if compiled else self.line

    def tick(self) -> None:
        """Read the clock for ``line_at_tick``; the time is formatted once a second."""
        second = int(time.time())
        if second != self.clock[0]:
            self.clock[:] = (second, _stamp(second))

    def now(self) -> str:
        """``%(t)s``: ``[22/Nov/2026:04:50:01 +0000]``."""
        self.tick()
        text: str = self.clock[1]
        return text

    def _line_from_atoms(self, exchange: Exchange) -> str:
        return self.format % self.atoms(exchange)

    def _compiled_lines(
        self,
    ) -> tuple[Callable[[Exchange], str], Callable[[Exchange], str]] | None:
        """``line`` and ``line_at_tick``, compiled for this format: the format with its names
        taken out (positional), and a tuple of the atoms' values in their order. None for a
        format that mixes in unnamed conversions, which gets the dictionary path (and its
        error) instead.

        Generated source, because a per-request loop over atom functions costs more than
        the formatting itself. The common atoms are written in as statements
        (``INLINE_ATOMS``), the others are calls, and an atom that is always ``-`` is
        written into the format; only the repr of a string, indices and those fixed
        statements go into the source."""
        namespace: dict[str, Any] = {
            **INLINE_NAMESPACE,
            "_escape": escape_atom,
            "_clock": self.clock,
        }
        values: list[str] = []
        computed: list[str] = []
        unsafe: list[str] = []
        positional: list[str] = []
        #: The line as one f-string's parts (literals' reprs and ``f"{v1}"``), while every
        #: conversion is a plain ``%s``: cheaper than ``%`` with a tuple, and the same text
        #: for the atoms' strings and numbers.
        joined: list[str] = []
        last = 0
        for index, found in enumerate(CONVERSION.finditer(self.format)):
            name, conversion = found.group(1), found.group(2)
            positional.append(self.format[last : found.start()])
            joined.append(repr(self.format[last : found.start()]))
            last = found.end()
            if conversion == "%":
                positional.append(found.group(0))
                joined.append(repr("%"))
                continue
            if name is None:
                return None
            value = f"v{index}"
            inline = INLINE_ATOMS.get(name)
            compute = None if inline is not None else self._atom(name)
            if (name in CONSTANT_ATOMS or (inline is None and compute is None)) and (
                conversion == "s"
            ):
                positional.append("-")
                joined.append(repr("-"))
                continue
            positional.append("%" + conversion)
            joined.append(f'f"{{{value}}}"' if conversion == "s" else "")
            if inline is not None:
                if conversion != "s":
                    inline = INLINE_ATOMS_AS_TEXT.get(name, inline)
                computed += [f"    {statement.replace('{v}', value)}" for statement in inline]
            elif compute is None:
                namespace[f"_c{index}"] = "-"
                values.append(f"_c{index}")
                continue
            else:
                namespace[f"_a{index}"] = compute
                computed.append(f"    {value} = _a{index}(exchange)")
            values.append(value)
            if name not in SAFE_ATOMS:
                unsafe.append(value)
        positional.append(self.format[last:])
        joined.append(repr(self.format[last:]))
        namespace["_format"] = "".join(positional)
        body = ["    scope = exchange.scope"]
        if any("headers." in statement for statement in computed):
            body += HEADERS_BY_NAME
        body += computed
        if unsafe:
            # One check of all the atoms that may need escaping; each is escaped only when
            # one of them does (a quote, a backslash or a control character somewhere).
            probe = "".join(f"{{{name}}}" for name in unsafe)
            body += [
                f'    probe = f"{probe}"',
                "    if not probe.isprintable() or '\"' in probe or '\\\\' in probe:",
                *(f"        {name} = _escape({name})" for name in unsafe),
            ]
        if all(joined):
            body.append(f"    return {' '.join(joined)}")
        else:
            arguments = f"({', '.join(values)},)" if values else "()"
            body.append(f"    return _format % {arguments}")
        at_tick = [statement for statement in body if statement not in CLOCK_READING]
        source = "\n".join(["def line(exchange):", *body, "def line_at_tick(exchange):", *at_tick])
        exec(compile(source + "\n", "<access-log-format>", "exec"), namespace)
        return namespace["line"], namespace["line_at_tick"]

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
            return lambda exchange: self.now()
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
    scope = exchange.scope
    raw_path = scope.get("raw_path")
    if raw_path:  # an ASGI server's (ours never carry a raw URI of their own as well)
        query = scope.get("query_string")
        uri: str = raw_path.decode("latin-1")
        return f"{uri}?{query.decode('latin-1')}" if query else uri
    given: str | None = scope.get(RAW_URI_KEY)
    if given is not None:
        return given
    query = _query(exchange)
    if ENVIRON_KEY in scope:
        # A WSGI server that keeps no raw URI (waitress): the path percent-encoded again.
        path = quote(scope["path"].encode("latin-1"), safe="/;=,:@!$&'()*+~")
        return f"{path}?{query}" if query else path
    uri = scope["path"].encode().decode("latin-1")
    return f"{uri}?{query}" if query else uri


def _request_line(exchange: Exchange) -> str:
    scope = exchange.scope
    return f"{scope['method']} {_raw_uri(exchange)} HTTP/{scope.get('http_version', '1.1')}"


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


#: How the compiled ``line`` reads the clock (``line_at_tick`` leaves these out).
CLOCK_READING = [
    "    if (second := _int(_time.time())) != _clock[0]:",
    "        _clock[:] = (second, _stamp(second))",
]
#: Atoms that are always ``-``.
CONSTANT_ATOMS = frozenset("l")

#: The common atoms, as statements written into the compiled line, each setting ``{v}``
#: to the value ``FIXED_ATOMS`` gives, without a call for each (``scope`` is the exchange's,
#: ``headers`` its request headers by name).
INLINE_ATOMS: dict[str, list[str]] = {
    "h": ['{v} = client[0] if (client := scope.get("client")) else "-"'],
    "l": ['{v} = "-"'],
    "u": ['{v} = _user(exchange) if headers.get(b"authorization") else "-"'],
    "t": [*(statement[4:] for statement in CLOCK_READING), "{v} = _clock[1]"],
    "r": [
        'if raw_path := scope.get("raw_path"):',
        '    uri = raw_path.decode("latin-1")',
        '    if query := scope.get("query_string"):',
        "        uri = f\"{uri}?{query.decode('latin-1')}\"",
        "else:",
        "    uri = _raw_uri(exchange)",
        "{v} = f\"{scope['method']} {uri} HTTP/{scope.get('http_version', '1.1')}\"",
    ],
    "s": ["{v} = status if (status := exchange.status).__class__ is int else _status(exchange)"],
    "m": ['{v} = scope["method"]'],
    "U": ['{v} = scope["path"]'],
    "b": ["{v} = exchange.sent"],
    "B": ["{v} = exchange.sent"],
    "f": [
        'if value := headers.get(b"referer"):',
        '    {v} = value.decode("latin-1") if value.__class__ is bytes else value',
        "else:",
        '    {v} = "-"',
    ],
    "a": [
        'if value := headers.get(b"user-agent"):',
        '    {v} = value.decode("latin-1") if value.__class__ is bytes else value',
        "else:",
        '    {v} = "-"',
    ],
}
#: The inline atoms whose value is text in gunicorn, for a conversion other than ``%s``
#: (``%s`` writes a number as its text anyway).
INLINE_ATOMS_AS_TEXT = {"b": ["{v} = str(exchange.sent)"]}
#: The request headers by name for the inline atoms: an ASGI server's list of lower-case
#: bytes pairs in one ``dict()`` (``Exchange.request_headers`` does the same, with a call).
HEADERS_BY_NAME = [
    '    raw = scope.get("headers")',
    "    if raw.__class__ is list and (not raw or raw[0][0].__class__ is bytes):",
    "        headers = dict(raw)",
    "    else:",
    "        headers = exchange.request_headers()",
]
INLINE_NAMESPACE: dict[str, Any] = {
    "_raw_uri": _raw_uri,
    "_status": _status,
    "_user": _user,
    "_int": int,
    "_time": time,
    "_stamp": _stamp,
}
