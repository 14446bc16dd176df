"""A project's own gunicorn ``logger_class``: our worker must call its ``access()``, with
every atom, as gunicorn's own workers do (statsd's logger counts requests there)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger


class TaggingLogger(Logger):  # type: ignore[misc]
    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info("TAGGED %s %s %s", atoms["m"], atoms["U"], atoms["s"])
