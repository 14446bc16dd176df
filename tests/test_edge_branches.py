"""Small decisions of the option, socket and limit code, checked directly: what the tests
against real servers reach only by chance or on other machines."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from django_prodserver.backends.base import Bind, is_loopback
from django_prodserver.backends.gunicorn.schema import check_bind, is_asgi_worker
from django_prodserver.backends.sockets import check_systemd_sockets, systemd_socket_count
from django_prodserver.checks import static_files_served, thread_hopping_middleware
from django_prodserver.options.schema import InvalidValue
from django_prodserver.runtime.limits import RequestLimits


def test_systemd_variables_for_another_process_are_ignored() -> None:
    other = str(os.getpid() + 1)
    assert check_systemd_sockets({"LISTEN_FDS": "1", "LISTEN_PID": other}) == 0
    assert check_systemd_sockets({"LISTEN_FDS": "0", "LISTEN_PID": str(os.getpid())}) == 0
    assert check_systemd_sockets({}) == 0
    assert systemd_socket_count({"LISTEN_FDS": "x", "LISTEN_PID": str(os.getpid())}) == 0


@pytest.mark.parametrize(
    ("worker", "asgi"),
    [
        ("asgi", True),
        ("uvicorn_worker.UvicornWorker", True),
        ("django_prodserver.workers.UvicornH11Worker", True),
        ("tests.custom_workers.MyUvicornWorker", True),
        ("sync", False),
        ("gthread", False),
        ("no.such.Worker", False),
    ],
)
def test_which_workers_run_asgi(worker: str, asgi: bool) -> None:
    from gunicorn.workers import SUPPORTED_WORKERS

    if worker == "asgi" and worker not in SUPPORTED_WORKERS:
        asgi = False  # gunicorn 23 has no ASGI worker of its own: "asgi" names no class
    assert is_asgi_worker(worker) is asgi


@pytest.mark.parametrize("bind", ["127.0.0.1:99999", "[::1]:70000"])
def test_a_bind_port_out_of_range(bind: str) -> None:
    with pytest.raises(InvalidValue, match="out of range"):
        check_bind(bind)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.2", False),
        ("::", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_bind_shows_its_address() -> None:
    assert str(Bind("http://127.0.0.1:8000", tcp=True, loopback=True)) == "http://127.0.0.1:8000"


def test_a_head_size_cap_only_with_every_limit_on() -> None:
    assert RequestLimits().head_size() == 4094 + 2 + 100 * (8190 + 2) + 2
    assert RequestLimits(line=0).head_size() is None
    assert RequestLimits(fields=0).head_size() is None


def test_static_files_served_from_another_host(settings: Settings) -> None:
    settings.STATIC_URL = "https://cdn.example.com/static/"
    assert static_files_served()
    settings.STATIC_URL = "static/"
    settings.MIDDLEWARE = ["servestatic.middleware.ServeStaticMiddleware"]
    assert static_files_served()
    settings.MIDDLEWARE = []
    assert not static_files_served()


def test_middleware_that_cannot_be_imported_is_left_to_django() -> None:
    assert thread_hopping_middleware(["no.such.Middleware"]) == []


def test_a_stale_socket_of_our_own_is_not_an_error(tmp_path: Path) -> None:
    from django_prodserver.backends.sockets import check_unix_socket_path

    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))
    check_unix_socket_path(str(path))  # refused connections: stale, and ours to replace
