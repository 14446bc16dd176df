"""Each configuration of the docs' Uvicorn page serves 200 through both uvicorn backends,
then stops with exit 0 on SIGTERM."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from .support.seed_configs import SEED_ARGS, TLS_CONFIGS, adapted
from .support.servers import ServerFactory, free_port

BACKENDS = {
    "asgi": "django_prodserver.backends.uvicorn.UvicornServer",
    "wsgi": "django_prodserver.backends.uvicorn.UvicornWSGIServer",
}

pytestmark = [pytest.mark.server, pytest.mark.server_matrix]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("config", SEED_ARGS)
def test_seed_configuration_serves_and_stops_cleanly(
    servers: ServerFactory, tls_files: dict[str, Path], config: str, backend: str
) -> None:
    port = free_port()
    processes = {"web": {"BACKEND": BACKENDS[backend], "ARGS": adapted(config, port, tls_files)}}
    if config in TLS_CONFIGS:
        server = servers.start(
            processes,
            "web",
            scheme="https",
            client_options={"verify": ssl.create_default_context(cafile=str(tls_files["ca"]))},
        )
    else:
        server = servers.start(processes, "web")
    server.wait_ready("/")

    response = server.get("/")
    assert response.status_code == 200
    assert "django-prodserver example project" in response.text
    assert server.stop() == 0, server.output()
