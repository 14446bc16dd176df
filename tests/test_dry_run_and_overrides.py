"""--dry-run, secrets masked in what we print, one-off overrides, and the start-up banner."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import sys
from contextlib import closing
from pathlib import Path

import django
import pytest

from django_prodserver.backends.uvicorn.schema import uvicorn_schema
from django_prodserver.options.overrides import parse_overrides, with_overrides
from django_prodserver.options.redaction import redacted
from django_prodserver.options.schema import OptionSchema

from .conftest import ENCRYPTED_KEY_PASSWORD
from .support.processes import GUNICORN, GUNICORN_UVICORN, UVICORN, UVICORN_WSGI, web_on
from .support.servers import (
    EXAMPLE_PROJECT,
    REPO_ROOT,
    ServerFactory,
    children_of,
    free_port,
    process_env,
    run_prodserver,
    wait_for,
)


def listening(port: int) -> bool:
    with closing(socket.socket()) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.server
@pytest.mark.parametrize("backend", [UVICORN, UVICORN_WSGI, GUNICORN_UVICORN, GUNICORN])
def test_dry_run_prints_a_command_that_serves(servers: ServerFactory, backend: str) -> None:
    port = free_port()
    processes = web_on(
        backend, port, **({"limit-concurrency": 50} if backend == GUNICORN_UVICORN else {})
    )
    result = run_prodserver(processes, "web", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert not listening(port)
    command = shlex.split(line)
    assert "DJANGO_SETTINGS_MODULE=tests.process_settings" in command
    bin_dir = str(Path(sys.executable).parent)
    env = {**process_env(processes), "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    server = servers.start_command(command, port, cwd=EXAMPLE_PROJECT, env=env)
    server.wait_ready()
    assert server.get("/sync/").status_code == 200
    # By hand, a single-process uvicorn dies by its re-raised SIGTERM; gunicorn exits 0.
    assert server.stop() in (0, -signal.SIGTERM)


@pytest.mark.parametrize("backend", [UVICORN, GUNICORN_UVICORN])
def test_secrets_are_masked_in_dry_run_and_list(
    backend: str, tls_files: dict[str, Path], encrypted_key: Path
) -> None:
    args: dict[str, str] = {"ssl-keyfile-password": ENCRYPTED_KEY_PASSWORD}
    if backend == UVICORN:
        args.update({"ssl-keyfile": str(encrypted_key), "ssl-certfile": str(tls_files["cert"])})
    else:
        args.update({"keyfile": str(encrypted_key), "certfile": str(tls_files["cert"])})
    processes = web_on(backend, free_port(), **args)
    for flag in ("--dry-run", "--list"):
        result = (
            run_prodserver(processes, "web", flag)
            if flag == "--dry-run"
            else run_prodserver(processes, flag)
        )
        assert result.returncode == 0, result.stderr
        assert ENCRYPTED_KEY_PASSWORD not in result.stdout + result.stderr
        assert "--ssl-keyfile-password=***" in result.stdout


@pytest.mark.server
def test_secrets_never_reach_the_server_output(
    servers: ServerFactory, tls_files: dict[str, Path], encrypted_key: Path
) -> None:
    import ssl

    port = free_port()
    args = {
        "ssl-keyfile": str(encrypted_key),
        "ssl-certfile": str(tls_files["cert"]),
        "ssl-keyfile-password": ENCRYPTED_KEY_PASSWORD,
        "log-level": "trace",
    }
    context = ssl.create_default_context(cafile=str(tls_files["ca"]))
    server = servers.start(
        web_on(UVICORN, port, **args), "web", scheme="https", client_options={"verify": context}
    )
    server.wait_ready()
    assert server.stop() == 0
    assert ENCRYPTED_KEY_PASSWORD not in server.output()


@pytest.mark.server
def test_overrides_change_args_for_one_run(servers: ServerFactory) -> None:
    configured, overridden = free_port(), free_port()
    processes = web_on(UVICORN, configured)
    server = servers.start(
        processes,
        "web",
        port=overridden,
        extra_arguments=["--", "--port", str(overridden), "--workers=2"],
    )
    server.wait_ready()
    wait_for(lambda: len(children_of(server.pid)) >= 2, 20, "two workers")
    assert not listening(configured)
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            ["--port", "nine"],
            "prodserver web -- --port: 'nine' is not a valid integer",
        ),
        (
            ["--prot", "9001"],
            "prodserver web -- --prot: uvicorn has no option --prot; did you mean 'port'?",
        ),
        (["--port"], "prodserver: override --port needs a value"),
        (["port", "9001"], "prodserver: override 'port' is not an option"),
    ],
)
def test_invalid_overrides_are_one_line_errors(overrides: list[str], expected: str) -> None:
    result = run_prodserver(web_on(UVICORN, free_port()), "web", "--", *overrides)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("CommandError: " + expected)


def test_override_parsing_follows_the_schema() -> None:
    schema = uvicorn_schema()
    assert parse_overrides(
        ["--port", "9001", "--no-access-log", "--header", "X-A:1", "--header=X-B:2", "--reload"],
        schema,
    ) == {
        "--port": "9001",
        "--no-access-log": None,
        "--header": ["X-A:1", "X-B:2"],
        "--reload": None,
    }
    assert parse_overrides(["--bind", "0.0.0.0:1", "--preload"], None) == {
        "--bind": "0.0.0.0:1",
        "--preload": None,
    }


def test_overrides_replace_the_same_option_under_any_spelling() -> None:
    schema: OptionSchema = uvicorn_schema()
    merged = with_overrides(
        {"log_level": "info", "access-log": "True", "host": "0.0.0.0"},
        {"--log-level": "debug", "--no-access-log": None},
        schema,
    )
    assert merged == {"host": "0.0.0.0", "--log-level": "debug", "--no-access-log": None}


def test_redaction() -> None:
    assert redacted(
        ["--ssl-keyfile-password=hunter2", "--api-token", "abc", "--port=1", "--secret-key=x"]
    ) == [
        "--ssl-keyfile-password=***",
        "--api-token",
        "***",
        "--port=1",
        "--secret-key=***",
    ]


@pytest.mark.server
@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        (UVICORN, "workers 1 (uvicorn processes), loop uvloop, http httptools"),
        (UVICORN_WSGI, "workers 1 (uvicorn processes), loop uvloop, http httptools"),
        (
            GUNICORN_UVICORN,
            "workers 1 (django_prodserver.workers.UvicornWorker), loop uvloop, http httptools",
        ),
        (GUNICORN, "workers 1 (sync)"),
    ],
)
def test_banner_says_what_starts(servers: ServerFactory, backend: str, expected: str) -> None:
    port = free_port()
    server = servers.start(web_on(backend, port), "web")
    server.wait_ready()
    assert server.stop() == 0
    name = backend.rsplit(".", 1)[1]
    assert server.output().splitlines()[0] == (
        f"prodserver: starting 'web' ({name}) on http://127.0.0.1:{port}, {expected}, "
        f"Django {django.get_version()}"
    )


def test_repository_root_is_on_the_test_path() -> None:
    assert str(REPO_ROOT) in process_env({})["PYTHONPATH"]
