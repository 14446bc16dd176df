"""Every ARGS configuration in the Uvicorn page of our docs (shared seed 004), as written
there. Only host, port and certificate paths are changed, by ``adapted()``."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

SEED_ARGS: dict[str, dict[str, str]] = {
    "minimal": {"host": "0.0.0.0", "port": "8000"},
    "recommended-production": {
        "host": "0.0.0.0",
        "port": "8000",
        "workers": "4",
        "log-level": "info",
    },
    "args-translation": {"host": "0.0.0.0", "port": "8000", "workers": "4", "log-level": "info"},
    "wsgi-mode": {"host": "0.0.0.0", "port": "8000", "workers": "4"},
    "high-performance": {
        "host": "0.0.0.0",
        "port": "8000",
        "workers": "4",
        "loop": "uvloop",
        "log-level": "warning",
        "no-access-log": "True",
        "limit-concurrency": "1000",
        "backlog": "2048",
    },
    "reverse-proxy": {
        "host": "127.0.0.1",
        "port": "8000",
        "workers": "4",
        "proxy-headers": "True",
        "forwarded-allow-ips": "*",
        "log-level": "info",
    },
    "ssl-tls": {
        "host": "0.0.0.0",
        "port": "443",
        "ssl-keyfile": "/path/to/key.pem",
        "ssl-certfile": "/path/to/cert.pem",
        "workers": "4",
    },
    "development-auto-reload": {
        "host": "127.0.0.1",
        "port": "8000",
        "reload": "True",
        "log-level": "debug",
        "reload-dir": ".",
    },
    "websocket-support": {
        "host": "0.0.0.0",
        "port": "8000",
        "workers": "4",
        "timeout-keep-alive": "60",
        "log-level": "info",
    },
    "worker-count-formula": {
        "host": "0.0.0.0",
        "port": "8000",
        "workers": str(multiprocessing.cpu_count()),
    },
    "docker": {"host": "0.0.0.0", "port": "8000", "workers": "4"},
    "issue-poor-websocket-performance": {"timeout-keep-alive": "120"},
    "issue-workers-not-starting": {"workers": "4"},
    "tuning-event-loop": {"loop": "uvloop"},
    "tuning-disable-access-logs": {"no-access-log": "True"},
    "tuning-connection-limits": {"limit-concurrency": "1000", "limit-max-requests": "10000"},
    "tuning-backlog": {"backlog": "4096"},
}

TLS_CONFIGS = {"ssl-tls"}


def adapted(name: str, port: int, tls_files: dict[str, Path]) -> dict[str, Any]:
    args: dict[str, Any] = dict(SEED_ARGS[name])
    args["host"] = "127.0.0.1"
    args["port"] = str(port)
    if "ssl-keyfile" in args:
        args["ssl-keyfile"] = str(tls_files["key"])
        args["ssl-certfile"] = str(tls_files["cert"])
    return args
