"""gunicorn's logger class under ``"log-format": "json"``: gunicorn's own handlers, files and
rotation (SIGUSR1), each line a JSON object, access lines with the request's fields."""

from __future__ import annotations

import datetime
import traceback
from typing import Any

from gunicorn.glogging import Logger, SafeAtoms

from .._compat import gunicorn_access_log_enabled
from .access_log import CAP
from .json_logs import use_json_lines


class JsonGunicornLogger(Logger):  # type: ignore[misc]
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        use_json_lines()

    def access(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta
    ) -> None:
        if not gunicorn_access_log_enabled(self, self.cfg):
            return
        from .json_logs import request_id_header

        # self.atoms escapes line breaks (escape_access_atoms), SafeAtoms the quotes.
        atoms = self.atoms(resp, req, environ, request_time)
        try:
            line = CAP.cut(self.cfg.access_log_format % SafeAtoms(atoms))
            header = request_id_header()
            self.access_log.info(
                line,
                extra={
                    "method": environ.get("REQUEST_METHOD"),
                    "path": environ.get("PATH_INFO"),
                    "query": environ.get("QUERY_STRING", ""),
                    "status": _status(atoms.get("s")),
                    "bytes": getattr(resp, "sent", None) or 0,
                    "duration_ms": round(request_time.total_seconds() * 1000, 3),
                    "client": environ.get("REMOTE_ADDR", "-"),
                    "user_agent": environ.get("HTTP_USER_AGENT"),
                    "request_id": environ.get("HTTP_" + header.upper().replace("-", "_")),
                },
            )
        except Exception:
            self.error(traceback.format_exc())


def _status(value: Any) -> Any:
    if isinstance(value, str) and value.split(None, 1)[0].isdigit():
        return int(value.split(None, 1)[0])
    return value
