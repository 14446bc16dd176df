"""``"log-format": "json"``: every line a real server run writes is one JSON object, under
each HTTP backend at 1 and 2 workers: start-up, access lines, a 500 with its traceback, a
warning from Django, and shutdown. Also under a project LOGGING that disables loggers."""

from __future__ import annotations

import json
import re
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
    needs_program,
    web_on,
)
from .support.servers import ServerFactory, ServerProcess, free_port, wait_for

pytestmark = pytest.mark.server

VIEWS = {"ROOT_URLCONF": "tests.handler_views"}
RFC_3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ON_GRANIAN = {"access-log": True}

#: backend, ARGS, a message each run's shutdown writes.
CASES: dict[str, tuple[str, dict[str, Any], str]] = {
    "UvicornServer-1": (UVICORN, {}, "Finished server process"),
    "UvicornServer-2": (UVICORN, {"workers": 2}, "Finished server process"),
    "UvicornWSGIServer-1": (UVICORN_WSGI, {}, "Finished server process"),
    "UvicornWSGIServer-2": (UVICORN_WSGI, {"workers": 2}, "Finished server process"),
    "GunicornUvicornServer-1": (GUNICORN_UVICORN, {}, "Shutting down: Master"),
    "GunicornUvicornServer-2": (GUNICORN_UVICORN, {"workers": 2}, "Shutting down: Master"),
    "GunicornServer-1": (GUNICORN, {"access-logfile": "-"}, "Shutting down: Master"),
    "GunicornServer-2": (
        GUNICORN,
        {"access-logfile": "-", "workers": 2, "worker-class": "gthread"},
        "Shutting down: Master",
    ),
    "GranianASGIServer-1": (GRANIAN, ON_GRANIAN, "Granian shutdown completed"),
    "GranianASGIServer-2": (GRANIAN, {**ON_GRANIAN, "workers": 2}, "Granian shutdown completed"),
    "GranianWSGIServer-1": (GRANIAN_WSGI, ON_GRANIAN, "Granian shutdown completed"),
    "GranianWSGIServer-2": (
        GRANIAN_WSGI,
        {**ON_GRANIAN, "workers": 2},
        "Granian shutdown completed",
    ),
    "WaitressServer": (
        WAITRESS,
        {"access-log-format": '%(h)s "%(r)s" %(s)s'},
        "Stopped serving",
    ),
}


def records_of(server: ServerProcess) -> list[dict[str, Any]]:
    """Every line of the run's output as JSON; a line that is not one fails the test."""
    records = []
    for number, line in enumerate(server.output().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from None
        assert isinstance(record, dict), line
        assert {"time", "level", "logger", "message", "pid"} <= record.keys(), line
        assert RFC_3339_UTC.fullmatch(record["time"]), line
        records.append(record)
    return records


def access_records(server: ServerProcess) -> list[dict[str, Any]]:
    found = []
    for line in server.output().splitlines():
        if '"status"' in line:
            record = json.loads(line)
            if "method" in record:
                found.append(record)
    return found


def run_requests(server: ServerProcess) -> None:
    server.wait_ready()
    assert server.get("/", headers={"X-Request-ID": "req-1", "User-Agent": "json-test"}).text
    assert server.get("/fails/").status_code == 500
    assert server.get("/missing/").status_code == 404
    wait_for(
        lambda: {200, 404, 500} <= {r["status"] for r in access_records(server)},
        10,
        "access records of the three requests",
    )


@pytest.mark.parametrize(("backend", "args", "shutdown"), CASES.values(), ids=CASES.keys())
def test_every_line_of_a_real_run_is_json(
    servers: ServerFactory, backend: str, args: dict[str, Any], shutdown: str
) -> None:
    needs_program(backend)
    port = free_port()
    server = servers.start(
        web_on(backend, port, **{"log-format": "json", **args}), "web", overrides=VIEWS
    )
    run_requests(server)
    assert server.stop() == 0
    records = records_of(server)
    messages = [record["message"] for record in records]
    assert any(message.startswith("prodserver: starting 'web'") for message in messages)
    assert any(shutdown in message for message in messages), messages[-5:]
    [failure] = [record for record in records if record.get("exception")]
    assert failure["level"] == "ERROR"
    assert failure["logger"] == "django.request"
    assert "RuntimeError: this view fails" in failure["exception"]
    assert "Traceback (most recent call last)" in failure["exception"]
    assert any(
        record["level"] == "WARNING" and record["message"] == "Not Found: /missing/"
        for record in records
    )
    [hello] = [record for record in access_records(server) if record["path"] == "/"]
    assert (hello["method"], hello["status"], hello["client"]) == ("GET", 200, "127.0.0.1")
    assert hello["duration_ms"] >= 0
    if "granian" not in backend:
        assert hello["bytes"] == len("Hello World!")
        assert hello["user_agent"] == "json-test"
        assert hello["request_id"] == "req-1"


ONLY_DISABLING = {"LOGGING": {"version": 1, "disable_existing_loggers": True}}
DISABLING_CASES = {
    key: CASES[key]
    for key in (
        "UvicornServer-2",
        "GunicornUvicornServer-2",
        "GunicornServer-2",
        "GranianASGIServer-2",
    )
}


@pytest.mark.parametrize(
    ("backend", "args", "shutdown"), DISABLING_CASES.values(), ids=DISABLING_CASES.keys()
)
def test_json_lines_under_a_logging_that_disables_existing_loggers(
    servers: ServerFactory, backend: str, args: dict[str, Any], shutdown: str
) -> None:
    """The project's LOGGING silences Django's loggers; server and access lines go on,
    every one of them JSON."""
    needs_program(backend)
    port = free_port()
    server = servers.start(
        web_on(backend, port, **{"log-format": "json", **args}),
        "web",
        overrides={**VIEWS, **ONLY_DISABLING},
    )
    run_requests(server)
    assert server.stop() == 0
    messages = [record["message"] for record in records_of(server)]
    assert any(shutdown in message for message in messages)
    assert len(access_records(server)) >= 4


def test_the_projects_own_handlers_can_use_our_formatter(servers: ServerFactory) -> None:
    """A project with LOGGING of its own keeps its handlers; with our formatter in them,
    its lines are JSON too (the documented recipe)."""
    logging_setting = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "django_prodserver.runtime.json_logs.JsonLines"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }
    port = free_port()
    server = servers.start(
        web_on(UVICORN, port, **{"log-format": "json", "workers": 2}),
        "web",
        overrides={**VIEWS, "LOGGING": logging_setting},
    )
    run_requests(server)
    assert server.stop() == 0
    records = records_of(server)
    assert any(record["message"] == "Not Found: /missing/" for record in records)
