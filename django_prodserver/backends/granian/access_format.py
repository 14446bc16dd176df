"""``access-log-format`` (gunicorn's atoms) as Granian's ``--access-log-fmt``.

Granian formats its access lines itself, from a fixed set of fields (address, time, duration
in ms, status, method, path, query string, protocol, and request headers). The atoms that
map onto them are translated; the ones Granian has no field for (response bytes and
headers, the user name, ...) are refused with the list of those that work.
"""

from __future__ import annotations

import re

from ...options.schema import InvalidValue

#: ``%(h)s``: an atom, its conversion kept (``%(s)d`` stays a number).
ATOM = re.compile(r"%\(([^)]*)\)([#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa])")

GRANIAN_FIELDS = {
    "h": "%(addr)s",
    "l": "-",
    "t": "[%(time)s]",
    "r": "%(method)s %(path)s %(protocol)s",
    "m": "%(method)s",
    "U": "%(path)s",
    "q": "%(query_string)s",
    "H": "%(protocol)s",
    "s": "%(status)d",
    "f": "%(header{referer})s",
    "a": "%(header{user-agent})s",
    "M": "%(dt_ms)d",
}


def granian_access_format(gunicorn_format: str) -> str:
    """The same line in Granian's fields; InvalidValue names the atoms Granian lacks."""
    missing: list[str] = []

    def translated(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in GRANIAN_FIELDS:
            return GRANIAN_FIELDS[name]
        if name.startswith("{") and name.endswith("}i"):
            return f"%(header{{{name[1:-2].lower()}}})s"
        missing.append(name)
        return ""

    # A literal "%" stays "%%": Granian %-formats the line too.
    result = ATOM.sub(translated, gunicorn_format)
    if missing:
        raise InvalidValue(
            "Granian has no field for "
            + ", ".join(f"%({name})s" for name in dict.fromkeys(missing)),
            "use the atoms Granian can write: "
            + " ".join(f"%({name})s" for name in GRANIAN_FIELDS)
            + " %({header}i)s",
        )
    return result
