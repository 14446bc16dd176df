"""gunicorn's logger class under ``"log-format": "json"``: gunicorn's own handlers, files and
rotation (SIGUSR1), each line a JSON object, access lines with the request's fields."""

from __future__ import annotations

import datetime
import traceback
from typing import Any

from gunicorn.glogging import Logger

from .._compat import gunicorn_access_log_enabled
from .access_format import AccessFormat, Exchange, json_fields
from .access_log import CAP, wsgi_exchange
from .json_logs import request_id_header, use_json_lines


class JsonGunicornLogger(Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        use_json_lines()
        self.compiled: dict[str, AccessFormat] = {}

    def access(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta
    ) -> None:
        """gunicorn's own workers' access lines (GunicornServer)."""
        self.access_exchange(wsgi_exchange(resp, req, environ, request_time))

    def access_exchange(self, exchange: Exchange) -> None:
        """One access record: the line in ``access_log_format`` (compiled as our worker's),
        and the request's fields. Our worker calls this directly."""
        if not gunicorn_access_log_enabled(self, self.cfg):
            return
        fmt = self.cfg.access_log_format
        # Compiled where the line is written (the ``p`` atom is that worker's pid).
        compiled = self.compiled.get(fmt) or self.compiled.setdefault(fmt, AccessFormat(fmt))
        try:
            self.access_log.info(
                CAP.cut(compiled.line(exchange)),
                extra=json_fields(exchange, request_id_header()),
            )
        except Exception:
            self.error(traceback.format_exc())
