"""Server logs keep flowing under a project LOGGING that disables existing loggers, and
uvicorn's log-config files work, for every backend: read from the real process output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .logging_settings import DISABLING_LOGGING
from .support.processes import (
    GRANIAN,
    GRANIAN_WSGI,
    GUNICORN,
    GUNICORN_UVICORN,
    UVICORN,
    UVICORN_WSGI,
    web_on,
)
from .support.servers import ServerFactory, free_port, wait_for

pytestmark = pytest.mark.server


CASES = {
    "UvicornServer-1": (UVICORN, {"workers": 1}, "Application startup complete."),
    "UvicornServer-4": (UVICORN, {"workers": 4}, "Application startup complete."),
    "UvicornWSGIServer": (UVICORN_WSGI, {}, "Application startup complete."),
    "GunicornUvicornServer": (GUNICORN_UVICORN, {"workers": 2}, "Booting worker"),
    "GunicornServer": (
        GUNICORN,
        {"workers": 2, "access-logfile": "-"},
        "Booting worker",
    ),
    "GranianASGIServer": (GRANIAN, {"workers": 2, "access-log": True}, "Started worker-2"),
    "GranianWSGIServer": (GRANIAN_WSGI, {"access-log": True}, "Started worker-1"),
}


@pytest.mark.parametrize(("backend", "args", "startup"), CASES.values(), ids=CASES.keys())
def test_logs_survive_logging_that_disables_existing_loggers(
    servers: ServerFactory, backend: str, args: dict[str, Any], startup: str
) -> None:
    port = free_port()
    server = servers.start(web_on(backend, port, **args), "web", overrides=DISABLING_LOGGING)
    server.wait_ready()
    for _ in range(4):
        server.get("/hello/", headers={"Connection": "close"})
    # Some servers write an access line after the response (Granian, from another thread).
    wait_for(lambda: server.output().count("GET /hello/ HTTP/1.1") >= 4, 10, "4 access lines")
    assert server.stop() == 0
    output = server.output()
    assert startup in output


LOG_FORMAT = "FROM-FILE %(levelname)s %(message)s"
DICT_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"marked": {"format": LOG_FORMAT}},
    "handlers": {
        "out": {
            "class": "logging.StreamHandler",
            "formatter": "marked",
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {
        "uvicorn.error": {"handlers": ["out"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["out"], "level": "INFO", "propagate": False},
    },
}
INI_CONFIG = f"""
[loggers]
keys=root,error,access

[handlers]
keys=out

[formatters]
keys=marked

[logger_root]
level=WARNING
handlers=out

[logger_error]
level=INFO
handlers=out
qualname=uvicorn.error
propagate=0

[logger_access]
level=INFO
handlers=out
qualname=uvicorn.access
propagate=0

[handler_out]
class=StreamHandler
formatter=marked
args=(sys.stdout,)

[formatter_marked]
format={LOG_FORMAT}
"""


def write_log_config(directory: Path, suffix: str) -> Path:
    path = directory / f"logging{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(DICT_CONFIG))
    elif suffix == ".yaml":
        import yaml

        path.write_text(yaml.safe_dump(DICT_CONFIG))
    else:
        path.write_text(INI_CONFIG)
    return path


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("suffix", [".json", ".yaml", ".ini"])
def test_log_config_files(
    servers: ServerFactory, tmp_path: Path, suffix: str, workers: int
) -> None:
    config = write_log_config(tmp_path, suffix)
    port = free_port()
    processes = web_on(UVICORN, port, workers=workers, **{"log-config": str(config)})
    server = servers.start(processes, "web", overrides=DISABLING_LOGGING)
    server.wait_ready()
    server.get("/hello/")
    assert server.stop() == 0
    output = server.output()
    assert "FROM-FILE INFO Application startup complete." in output
    assert '"GET /hello/ HTTP/1.1" 200' in output
    assert all(
        line.startswith(("FROM-FILE", "prodserver:")) for line in output.splitlines() if line
    )
