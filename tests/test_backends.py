"""Loading backends, the uvicorn backends' own checks, and the custom-backend extension point."""

from __future__ import annotations

import socket
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from django_prodserver.backends.base import BaseServerBackend
from django_prodserver.backends.sockets import check_bindable
from django_prodserver.backends.uvicorn import UvicornServer, UvicornWSGIServer
from django_prodserver.conf import ProcessConfig
from django_prodserver.errors import ConfigurationError
from django_prodserver.processes import load_backend

from . import custom_backends
from .conftest import ENCRYPTED_KEY_PASSWORD
from .support.processes import GUNICORN_UVICORN, UVICORN, UVICORN_WSGI

WHERE = (("web", "ARGS", "host"), ("web", "ARGS", "port"))


def load(backend: str, args: dict[str, Any] | None = None) -> BaseServerBackend:
    raw = {"BACKEND": backend, "ARGS": args or {}}
    return load_backend(ProcessConfig("web", backend, args or {}, raw), on_this_machine=True)


def error_for(backend: str, args: dict[str, Any] | None = None) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load(backend, args)
    assert "\n" not in caught.value.message
    return caught.value.message


def test_uvicorn_server_runs_the_asgi_application() -> None:
    backend = load(UVICORN, {"host": "0.0.0.0", "port": "8000", "no-access-log": "True"})
    assert backend.prep_server_args() == [
        "example_project.asgi:application",
        "--host=0.0.0.0",
        "--port=8000",
        "--no-access-log",
    ]
    assert backend.command_line()[0] == "uvicorn"


def test_uvicorn_wsgi_server_adds_the_wsgi_interface_once() -> None:
    assert load(UVICORN_WSGI, {"port": "8000"}).prep_server_args() == [
        "example_project.wsgi:application",
        "--interface=wsgi",
        "--port=8000",
    ]
    assert load(UVICORN_WSGI, {"interface": "wsgi"}).prep_server_args() == [
        "example_project.wsgi:application",
        "--interface=wsgi",
    ]


def test_backend_module_not_importable() -> None:
    assert error_for("django_prodserver.backends.nope.Server").startswith(
        "PRODUCTION_PROCESSES['web']['BACKEND']: module 'django_prodserver.backends.nope' "
        "cannot be imported (No module named 'django_prodserver.backends.nope'); check the path;"
    )


def test_backend_attribute_missing_lists_the_module_backends() -> None:
    assert error_for("django_prodserver.backends.uvicorn.UvicornServr") == (
        "PRODUCTION_PROCESSES['web']['BACKEND']: module 'django_prodserver.backends.uvicorn' "
        "has no attribute 'UvicornServr'; use one of "
        "django_prodserver.backends.uvicorn.UvicornServer, "
        "django_prodserver.backends.uvicorn.UvicornWSGIServer"
    )


@pytest.mark.parametrize(
    ("backend", "kind"),
    [
        ("tests.custom_backends.NotABackend", "class"),
        ("tests.custom_backends.not_a_backend", "function"),
    ],
)
def test_backend_of_the_wrong_kind(backend: str, kind: str) -> None:
    assert error_for(backend) == (
        f"PRODUCTION_PROCESSES['web']['BACKEND']: {backend!r} is a {kind} but not a server "
        "backend; point it at a subclass of django_prodserver.backends.base.BaseServerBackend"
    )


def test_errors_from_args_are_located_inside_the_process() -> None:
    assert error_for(UVICORN, {"port": "99999"}) == (
        "PRODUCTION_PROCESSES['web']['ARGS']['port']: 99999 is out of range "
        "(uvicorn would silently bind another port); use a port from 0 to 65535"
    )


def test_reload_with_workers() -> None:
    assert error_for(UVICORN, {"reload": "True", "workers": "4"}) == (
        "PRODUCTION_PROCESSES['web']['ARGS']['workers']: 4 workers cannot run with reload "
        "(uvicorn would ignore workers); remove 'reload' for production, "
        "or 'workers' for development"
    )


def test_reload_with_one_worker_is_fine() -> None:
    load(UVICORN, {"reload": "True", "workers": "1"})


def test_wsgi_interface_on_the_asgi_backend() -> None:
    assert "use django_prodserver.backends.uvicorn.UvicornWSGIServer" in error_for(
        UVICORN, {"interface": "wsgi"}
    )


def test_other_interface_on_the_wsgi_backend() -> None:
    assert "UvicornWSGIServer always runs with --interface=wsgi" in error_for(
        UVICORN_WSGI, {"interface": "asgi3"}
    )


@pytest.mark.parametrize(
    ("setting", "backend"), [("ASGI_APPLICATION", UVICORN), ("WSGI_APPLICATION", UVICORN_WSGI)]
)
def test_application_setting_missing(settings: Settings, setting: str, backend: str) -> None:
    del settings.ASGI_APPLICATION, settings.WSGI_APPLICATION
    assert error_for(backend).startswith(f"{setting}: is not set; point it at your project's")


@pytest.mark.parametrize("backend", [UVICORN, GUNICORN_UVICORN])
def test_without_asgi_application_the_asgi_module_next_to_wsgi_is_served(
    settings: Settings, backend: str
) -> None:
    """As startproject lays a project out: mysite/asgi.py beside WSGI_APPLICATION's module."""
    del settings.ASGI_APPLICATION
    loaded = load(backend)
    assert loaded.prep_server_args()[0] == "example_project.asgi:application"
    assert loaded.notes == [
        "ASGI_APPLICATION is not set: serving example_project.asgi.application, the asgi "
        "module next to WSGI_APPLICATION (example_project.wsgi.application)"
    ]
    assert load(UVICORN_WSGI).notes == []


def test_application_not_importable(settings: Settings) -> None:
    settings.ASGI_APPLICATION = "missing_project.asgi.application"
    assert error_for(UVICORN).startswith(
        "ASGI_APPLICATION: 'missing_project.asgi.application' could not be imported "
        "(ModuleNotFoundError: No module named 'missing_project');"
    )


def test_application_attribute_missing(settings: Settings) -> None:
    settings.ASGI_APPLICATION = "example_project.asgi.app"
    assert error_for(UVICORN).startswith(
        "ASGI_APPLICATION: module 'example_project.asgi' has no attribute 'app';"
    )


def test_application_not_callable(settings: Settings) -> None:
    settings.WSGI_APPLICATION = "example_project.settings.DEBUG"
    assert "is a bool, not an WSGI application" in error_for(UVICORN_WSGI)


def test_application_not_a_dotted_path(settings: Settings) -> None:
    settings.ASGI_APPLICATION = "application"
    assert error_for(UVICORN).startswith("ASGI_APPLICATION: 'application' is not a dotted path;")


def test_tls_keyfile_without_certfile(tls_files: dict[str, Path]) -> None:
    assert error_for(UVICORN, {"ssl-keyfile": str(tls_files["key"])}).startswith(
        "PRODUCTION_PROCESSES['web']['ARGS']['ssl-keyfile']: is set without 'ssl-certfile';"
    )


def test_tls_missing_file(tls_files: dict[str, Path]) -> None:
    message = error_for(
        UVICORN, {"ssl-certfile": "/no/cert.pem", "ssl-keyfile": str(tls_files["key"])}
    )
    assert message.startswith(
        "PRODUCTION_PROCESSES['web']['ARGS']['ssl-certfile']: '/no/cert.pem' is not a file; "
        "give the path of the PEM file"
    )


def test_tls_encrypted_key_without_password(
    tls_files: dict[str, Path], encrypted_key: Path
) -> None:
    message = error_for(
        UVICORN, {"ssl-certfile": str(tls_files["cert"]), "ssl-keyfile": str(encrypted_key)}
    )
    assert (
        "holds an encrypted private key but no password is set; add 'ssl-keyfile-password'"
        in message
    )


def test_tls_wrong_password(tls_files: dict[str, Path], encrypted_key: Path) -> None:
    args = {
        "ssl-certfile": str(tls_files["cert"]),
        "ssl-keyfile": str(encrypted_key),
        "ssl-keyfile-password": "wrong",
    }
    assert "TLS could not be set up from these files" in error_for(UVICORN, args)


def test_tls_right_password(tls_files: dict[str, Path], encrypted_key: Path) -> None:
    args = {
        "ssl-certfile": str(tls_files["cert"]),
        "ssl-keyfile": str(encrypted_key),
        "ssl-keyfile-password": ENCRYPTED_KEY_PASSWORD,
    }
    load(UVICORN, args)


def test_port_in_use_is_found_before_start() -> None:
    with closing(socket.socket()) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(ConfigurationError) as caught:
            check_bindable("127.0.0.1", port, *WHERE)
    assert caught.value.message == (
        f"PRODUCTION_PROCESSES['web']['ARGS']['port']: 127.0.0.1:{port} is already in use "
        "by another process; stop that process or choose another port"
    )


def test_host_that_is_not_an_address_of_this_machine() -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_bindable("192.0.2.1", 8000, *WHERE)
    assert caught.value.keys == ("web", "ARGS", "host")
    assert "is not an address of this machine" in caught.value.problem


def test_host_with_a_port_in_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_bindable("0.0.0.0:8000", 8000, *WHERE)
    assert caught.value.keys == ("web", "ARGS", "host")


def test_uvicorn_server_preflight_skips_sockets_it_does_not_bind() -> None:
    assert isinstance(load(UVICORN, {"uds": "/tmp/x.sock"}), UvicornServer)
    load(UVICORN, {"uds": "/tmp/x.sock"}).preflight()


def test_custom_backend_keeps_working(settings: Settings) -> None:
    settings.PRODUCTION_PROCESSES = {
        "custom": {
            "BACKEND": "tests.custom_backends.RecordingServer",
            "ARGS": {"bind": "0.0.0.0:8111", "preload": None},
        }
    }
    custom_backends.started_with.clear()
    call_command("prodserver", "custom", skip_checks=True)
    assert custom_backends.started_with == [("myapp.wsgi", "--bind=0.0.0.0:8111", "--preload")]


def test_base_backend_requires_start_server() -> None:
    with pytest.raises(NotImplementedError, match="must implement start_server"):
        BaseServerBackend(ARGS={}).start_server()


def test_wsgi_backend_is_a_uvicorn_server() -> None:
    assert issubclass(UvicornWSGIServer, UvicornServer)
