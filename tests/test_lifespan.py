"""Django's ASGI handler has no lifespan support: default configurations start quietly, and a
project that adds lifespan support and sets ``lifespan: on`` gets its events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .support.processes import GUNICORN_UVICORN, UVICORN, web_on
from .support.servers import ServerFactory, free_port, wait_for

pytestmark = pytest.mark.server


ASGI_CASES = {
    "UvicornServer": (UVICORN, {}),
    "UvicornServer-2-workers": (UVICORN, {"workers": 2}),
    "GunicornUvicornServer": (GUNICORN_UVICORN, {"workers": 2}),
}


@pytest.mark.parametrize(("backend", "args"), ASGI_CASES.values(), ids=ASGI_CASES.keys())
def test_default_configuration_starts_without_errors(
    servers: ServerFactory, backend: str, args: dict[str, Any]
) -> None:
    server = servers.start(web_on(backend, free_port(), **args), "web")
    server.wait_ready()
    assert server.get("/async/").status_code == 200
    assert server.stop() == 0
    output = server.output()
    assert "Traceback" not in output
    assert "ERROR" not in output


@pytest.mark.parametrize(("backend", "args"), ASGI_CASES.values(), ids=ASGI_CASES.keys())
def test_lifespan_on_delivers_startup_and_shutdown(
    servers: ServerFactory, tmp_path: Path, backend: str, args: dict[str, Any]
) -> None:
    events = tmp_path / "events"
    server = servers.start(
        web_on(backend, free_port(), lifespan="on", **args),
        "web",
        overrides={"ASGI_APPLICATION": "tests.lifespan_asgi.application"},
        env={"LIFESPAN_EVENTS": str(events)},
    )
    server.wait_ready()
    assert server.get("/async/").status_code == 200
    workers = max(1, int(args.get("workers", 1)))

    def every_worker_started() -> bool:
        return events.exists() and events.read_text().split().count("startup") == workers

    wait_for(every_worker_started, 20, f"{workers} lifespan start-ups")
    assert server.stop() == 0
    recorded = events.read_text().split()
    assert recorded.count("startup") == workers
    assert recorded.count("shutdown") == workers
