"""Every bad input: one line on stderr naming the place, exit 2, no traceback, nothing started."""

from __future__ import annotations

import socket
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from .servers import free_port, run_prodserver

UVICORN = "django_prodserver.backends.uvicorn.UvicornServer"
UVICORN_WSGI = "django_prodserver.backends.uvicorn.UvicornWSGIServer"


def web(args: dict[str, Any] | None = None, backend: str = UVICORN) -> dict[str, Any]:
    return {"web": {"BACKEND": backend, "ARGS": args or {}}}


BAD_INPUTS: dict[str, tuple[Any, dict[str, Any], list[str], str]] = {
    # name: (PRODUCTION_PROCESSES, other settings, extra argv, start of the error line)
    "setting missing": ("absent", {}, [], "PRODUCTION_PROCESSES: is not set;"),
    "setting empty": ({}, {}, [], "PRODUCTION_PROCESSES: is empty;"),
    "setting not a dict": ([UVICORN], {}, [], "PRODUCTION_PROCESSES: must be a dict"),
    "process not a dict": ({"web": UVICORN}, {}, [], "PRODUCTION_PROCESSES['web']: must be a dict"),
    "unknown process": (web(), {}, ["wbe"], "PRODUCTION_PROCESSES: has no process named 'wbe'"),
    "backend missing": (
        {"web": {"ARGS": {}}},
        {},
        [],
        "PRODUCTION_PROCESSES['web']: has no 'BACKEND'",
    ),
    "backend not dotted": (
        {"web": {"BACKEND": "UvicornServer"}},
        {},
        [],
        "PRODUCTION_PROCESSES['web']['BACKEND']: 'UvicornServer' is not a dotted path",
    ),
    "backend module missing": (
        {"web": {"BACKEND": "nowhere.Server"}},
        {},
        [],
        "PRODUCTION_PROCESSES['web']['BACKEND']: module 'nowhere' cannot be imported",
    ),
    "backend attribute missing": (
        {"web": {"BACKEND": "django_prodserver.backends.uvicorn.Nope"}},
        {},
        [],
        "PRODUCTION_PROCESSES['web']['BACKEND']: module 'django_prodserver.backends.uvicorn' "
        "has no attribute 'Nope'",
    ),
    "backend wrong class": (
        {"web": {"BACKEND": "tests.custom_backends.NotABackend"}},
        {},
        [],
        "PRODUCTION_PROCESSES['web']['BACKEND']: 'tests.custom_backends.NotABackend' is a class "
        "but not a server backend",
    ),
    "backend a function": (
        {"web": {"BACKEND": "tests.custom_backends.not_a_backend"}},
        {},
        [],
        "PRODUCTION_PROCESSES['web']['BACKEND']: 'tests.custom_backends.not_a_backend' is a "
        "function but not a server backend",
    ),
    "args not a dict": (
        {"web": {"BACKEND": UVICORN, "ARGS": "--port=8000"}},
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']: must be a dict of server options, not str",
    ),
    "unknown args key": (
        web({"prot": "8000"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['prot']: uvicorn has no option --prot; "
        "did you mean 'port'?",
    ),
    "bad value type": (
        web({"workers": "four"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['workers']: 'four' is not a valid integer",
    ),
    "bad choice": (
        web({"log-level": "verbose"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['log-level']: 'verbose' is not one of",
    ),
    "port out of range": (
        web({"port": "99999"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['port']: 99999 is out of range",
    ),
    "asgi application missing": (
        web(),
        {"ASGI_APPLICATION": None},
        [],
        "ASGI_APPLICATION: is not set;",
    ),
    "asgi application not importable": (
        web(),
        {"ASGI_APPLICATION": "nowhere.asgi.application"},
        [],
        "ASGI_APPLICATION: 'nowhere.asgi.application' could not be imported",
    ),
    "wsgi application missing": (
        web(backend=UVICORN_WSGI),
        {"WSGI_APPLICATION": None},
        [],
        "WSGI_APPLICATION: is not set;",
    ),
    "reload with workers": (
        web({"reload": "True", "workers": "2"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['workers']: 2 workers cannot run with reload",
    ),
    "uds-mode without uds": (
        web({"uds-mode": "660"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['uds-mode']: sets the mode of the 'uds' socket "
        "file, and no 'uds' is set",
    ),
    "uds-mode not a mode": (
        web({"uds": "/tmp/prodserver-test.sock", "uds-mode": "rw-rw----"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['uds-mode']: 'rw-rw----' is not a file mode",
    ),
    "uds in a missing directory": (
        web({"uds": "/nonexistent-prodserver/web.sock"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['uds']: the directory /nonexistent-prodserver "
        "does not exist",
    ),
    "fd not open": (
        web({"fd": "97"}),
        {},
        [],
        "PRODUCTION_PROCESSES['web']['ARGS']['fd']: file descriptor 97 is not an open socket",
    ),
}


def assert_one_line_error(stderr: str, returncode: int, expected_start: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert returncode == 2, stderr
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("CommandError: " + expected_start), lines[0]


def assert_nothing_listening(port: int) -> None:
    with closing(socket.socket()) as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something listens on {port}"


@pytest.mark.parametrize(
    ("processes", "overrides", "argv", "expected"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys()
)
def test_bad_input_gives_one_line_and_starts_nothing(
    processes: Any, overrides: dict[str, Any], argv: list[str], expected: str
) -> None:
    port = free_port()
    if isinstance(processes, dict):
        for entry in processes.values():
            if isinstance(entry, dict) and isinstance(entry.get("ARGS"), dict):
                entry["ARGS"].setdefault("host", "127.0.0.1")
                entry["ARGS"].setdefault("port", str(port))
    result = run_prodserver(processes, *argv, overrides=overrides)
    assert_one_line_error(result.stderr, result.returncode, expected)
    assert_nothing_listening(port)


def test_port_already_in_use() -> None:
    with closing(socket.socket()) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        result = run_prodserver(web({"host": "127.0.0.1", "port": str(port)}))
    assert_one_line_error(
        result.stderr,
        result.returncode,
        f"PRODUCTION_PROCESSES['web']['ARGS']['port']: 127.0.0.1:{port} is already in use",
    )


def test_bad_uvicorn_environment_variable() -> None:
    port = free_port()
    result = run_prodserver(
        web({"host": "127.0.0.1", "port": str(port)}), "web", env={"UVICORN_WORKERS": "abc"}
    )
    assert_one_line_error(
        result.stderr,
        result.returncode,
        "uvicorn: Invalid value for '--workers': 'abc' is not a valid integer; options ARGS "
        "leave unset are read from UVICORN_* environment variables",
    )
    assert_nothing_listening(port)


def test_traceback_flag_shows_the_traceback() -> None:
    result = run_prodserver(web({"port": "99999"}), "--traceback")
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "99999 is out of range" in result.stderr


def test_list_shows_every_process_and_its_command_line() -> None:
    processes = {
        **web({"host": "0.0.0.0", "port": "8000", "workers": "4", "no-access-log": "True"}),
        "web-wsgi": {"BACKEND": UVICORN_WSGI, "ARGS": {"port": "8001"}},
    }
    result = run_prodserver(processes, "--list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"web: {UVICORN}",
        "    uvicorn example_project.asgi:application --host=0.0.0.0 --port=8000 --workers=4 "
        "--no-access-log",
        f"web-wsgi: {UVICORN_WSGI}",
        "    uvicorn example_project.wsgi:application --interface=wsgi --port=8001",
    ]


def test_list_reports_each_broken_process_and_fails() -> None:
    processes = {**web({"port": "8000"}), "broken": {"BACKEND": UVICORN, "ARGS": {"prot": "1"}}}
    result = run_prodserver(processes, "--list")
    assert result.returncode == 2
    assert "    error: PRODUCTION_PROCESSES['broken']['ARGS']['prot']: uvicorn has no option" in (
        result.stdout
    )
    assert "Traceback" not in result.stderr


BROKEN_CHECK = {"STATICFILES_DIRS": "not-a-list"}


def test_system_checks_run_before_start() -> None:
    result = run_prodserver(web({"port": "99999"}), overrides=BROKEN_CHECK)
    assert result.returncode == 1
    assert "SystemCheckError: System check identified some issues" in result.stderr
    assert "staticfiles.E001" in result.stderr
    assert "99999" not in result.stderr


def test_skip_checks_is_honoured() -> None:
    result = run_prodserver(web({"port": "99999"}), "--skip-checks", overrides=BROKEN_CHECK)
    assert_one_line_error(
        result.stderr, result.returncode, "PRODUCTION_PROCESSES['web']['ARGS']['port']: 99999"
    )


def test_uds_mode_under_gunicorn_points_to_umask() -> None:
    result = run_prodserver(
        web(
            {"bind": f"127.0.0.1:{free_port()}", "uds-mode": "660"},
            backend="django_prodserver.backends.gunicorn.GunicornServer",
        )
    )
    assert_one_line_error(
        result.stderr,
        result.returncode,
        "PRODUCTION_PROCESSES['web']['ARGS']['uds-mode']: is an option of the uvicorn backends; "
        "use 'umask'",
    )


def test_uds_another_server_listens_on(tmp_path: Path) -> None:
    path = tmp_path / "web.sock"
    with closing(socket.socket(socket.AF_UNIX)) as listener:
        listener.bind(str(path))
        listener.listen()
        result = run_prodserver(web({"uds": str(path)}))
    assert_one_line_error(
        result.stderr,
        result.returncode,
        f"PRODUCTION_PROCESSES['web']['ARGS']['uds']: another server is already listening on "
        f"{path}",
    )
