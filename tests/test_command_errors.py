"""Every bad input: one line on stderr naming the place, exit 2, no traceback, nothing started."""

from __future__ import annotations

import socket
from contextlib import closing
from importlib.util import find_spec
from pathlib import Path

import pytest

from .support.mistakes import MISTAKES, Mistake
from .support.processes import UVICORN, UVICORN_WSGI, web
from .support.servers import free_port, run_prodserver


def assert_one_line_error(stderr: str, returncode: int, expected_start: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert returncode == 2, stderr
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("CommandError: " + expected_start), lines[0]


def assert_nothing_listening(port: int) -> None:
    with closing(socket.socket()) as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something listens on {port}"


@pytest.mark.parametrize("mistake", MISTAKES, ids=[mistake.title for mistake in MISTAKES])
def test_bad_input_gives_one_line_and_starts_nothing(mistake: Mistake) -> None:
    if mistake.needs and find_spec(mistake.needs) is None:
        pytest.skip(f"{mistake.needs} is not installed here")
    port = free_port()
    result = run_prodserver(mistake.on_port(port), *mistake.argv, overrides=mistake.settings)
    assert_one_line_error(result.stderr, result.returncode, mistake.expected)
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


def test_bad_sync_threads_environment_variable() -> None:
    port = free_port()
    processes = web({"host": "127.0.0.1", "port": str(port), "asgi-handler": "prodserver"})
    result = run_prodserver(processes, "web", env={"PRODSERVER_SYNC_THREADS": "lots"})
    assert_one_line_error(
        result.stderr,
        result.returncode,
        "$PRODSERVER_SYNC_THREADS: 'lots' is not a number of threads; unset it, or give 1 or "
        "more (under prodserver, ARGS' 'sync-threads' sets it)",
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
        f"web: {UVICORN} (HTTP on http://0.0.0.0:8000)",
        "    uvicorn example_project.asgi:application --host=0.0.0.0 --port=8000 --workers=4 "
        "--no-access-log",
        f"web-wsgi: {UVICORN_WSGI} (HTTP on http://127.0.0.1:8001)",
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
