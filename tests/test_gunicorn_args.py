"""How ARGS become a gunicorn command line, and our worker's share of them."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from django_prodserver.backends.gunicorn import GunicornServer, GunicornUvicornServer
from django_prodserver.conf import ProcessConfig
from django_prodserver.errors import ConfigurationError
from django_prodserver.processes import load_backend
from django_prodserver.runtime.worker_args import config_kwargs_from_environment

from .support.gunicorn import CONTROL_SOCKET_OFF
from .support.processes import GUNICORN, GUNICORN_UVICORN, UVICORN, web_on
from .support.servers import free_port, run_prodserver

ASGI_APP = "example_project.asgi:application"


def load(backend: str, args: dict[str, Any]) -> Any:
    return load_backend(
        ProcessConfig("web", backend, args, {"BACKEND": backend, "ARGS": args}),
        on_this_machine=True,
    )


def error_for(backend: str, args: dict[str, Any]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load(backend, args)
    assert "\n" not in caught.value.message
    return caught.value.message


def test_asgi_app_with_our_worker_and_no_control_socket() -> None:
    backend = load(GUNICORN_UVICORN, {"bind": "0.0.0.0:8000", "workers": 4, "preload": True})
    assert isinstance(backend, GunicornUvicornServer)
    assert backend.prep_server_args() == [
        ASGI_APP,
        "--worker-class=django_prodserver.workers.UvicornWorker",
        "--access-logfile=-",  # as uvicorn: access lines on stdout unless told otherwise
        *CONTROL_SOCKET_OFF,
        "--bind=0.0.0.0:8000",
        "--workers=4",
        "--preload",
    ]


@pytest.mark.parametrize("args", [{"http": "h11"}, {"loop": "asyncio"}])
def test_h11_worker_for_the_pure_python_stack(args: dict[str, str]) -> None:
    assert (
        "--worker-class=django_prodserver.workers.UvicornH11Worker"
        in load(GUNICORN_UVICORN, args).prep_server_args()
    )


def test_gunicorn_config_file_names_work_too() -> None:
    backend = load(GUNICORN_UVICORN, {"keepalive": 5, "preload_app": True, "accesslog": "-"})
    assert backend.args == ["--keep-alive=5", "--preload", "--access-logfile=-"]


def test_uvicorn_only_options_go_to_the_worker() -> None:
    backend = load(
        GUNICORN_UVICORN,
        {
            "bind": "127.0.0.1:8000",
            "limit-concurrency": 100,
            "proxy-headers": True,
            "header": ["X-A: 1", "X-B: 2"],
            "no-access-log": "True",
            "ws-max-size": 1024,
        },
    )
    assert backend.args == ["--bind=127.0.0.1:8000"]
    assert backend.uvicorn_args == [
        "--limit-concurrency=100",
        "--proxy-headers",
        "--header=X-A: 1",
        "--header=X-B: 2",
        "--no-access-log",
        "--ws-max-size=1024",
    ]
    environment = backend.worker_environment()
    assert config_kwargs_from_environment(environment) == {
        "limit_concurrency": 100,
        "proxy_headers": True,
        "headers": [["X-A", " 1"], ["X-B", " 2"]],
        "access_log": False,
        "ws_max_size": 1024,
    }
    line = shlex.split(shlex.join(backend.command_line()))
    assert line[:2] == ["env", "PRODSERVER_UVICORN_ARGS=" + environment["PRODSERVER_UVICORN_ARGS"]]
    assert line[2] == "gunicorn"


def test_no_uvicorn_options_no_environment() -> None:
    backend = load(GUNICORN_UVICORN, {"workers": 2})
    assert backend.worker_environment() == {}
    assert backend.command_line()[0] == "gunicorn"


def test_configured_control_socket_is_kept() -> None:
    if not CONTROL_SOCKET_OFF:
        pytest.skip("this gunicorn has no control socket")
    args = load(GUNICORN_UVICORN, {"control-socket": "/run/app/gunicorn.ctl"}).prep_server_args()
    assert "--no-control-socket" not in args
    assert "--control-socket=/run/app/gunicorn.ctl" in args


def test_subclass_of_our_worker_is_accepted() -> None:
    args = load(
        GUNICORN_UVICORN, {"worker-class": "tests.custom_workers.MyUvicornWorker"}
    ).prep_server_args()
    assert args[1:] == [
        "--access-logfile=-",
        *CONTROL_SOCKET_OFF,
        "--worker-class=tests.custom_workers.MyUvicornWorker",
    ]


def test_a_wsgi_worker_class_is_refused_under_the_asgi_backend() -> None:
    assert error_for(GUNICORN_UVICORN, {"worker-class": "sync"}) == (
        "PRODUCTION_PROCESSES['web']['ARGS']['worker-class']: 'sync' runs WSGI applications, "
        "and GunicornUvicornServer serves ASGI_APPLICATION; use "
        "django_prodserver.backends.gunicorn.GunicornServer for gunicorn's own workers, or "
        "remove 'worker-class' (our uvicorn worker is the default)"
    )


@pytest.mark.parametrize(
    "worker",
    [
        "django_prodserver.workers.UvicornWorker",
        "django_prodserver.workers.UvicornH11Worker",
        "tests.custom_workers.MyUvicornWorker",
        "uvicorn.workers.UvicornWorker",
        "uvicorn_worker.UvicornWorker",
        "asgi",
    ],
)
def test_an_asgi_worker_class_is_refused_under_the_wsgi_backend(worker: str) -> None:
    from django_prodserver.backends.gunicorn.schema import load_worker_class

    try:
        load_worker_class(worker)
    except Exception:
        pytest.skip(f"{worker} is not installed here (or not in this gunicorn)")
    message = error_for(GUNICORN, {"worker-class": worker})
    assert f"{worker!r} runs ASGI applications, and GunicornServer serves WSGI_APPLICATION" in (
        message
    )
    assert message.endswith(
        "use django_prodserver.backends.gunicorn.GunicornUvicornServer for ASGI, or a WSGI "
        "worker such as 'sync' or 'gthread'"
    )


def test_migrating_from_uvicorn_worker_names_ours() -> None:
    """Whether or not the uvicorn-worker package is installed, the hint names our worker."""
    message = error_for(GUNICORN_UVICORN, {"worker-class": "uvicorn_worker.UvicornH11Worker"})
    assert "'django_prodserver.workers.UvicornH11Worker'" in message
    assert "])" not in message


@pytest.mark.parametrize(
    ("key", "advice"),
    [
        ("port", "use 'bind', e.g. 'bind': '0.0.0.0:8000'"),
        ("timeout-keep-alive", "use 'keep-alive'"),
        ("ssl-keyfile", "use 'keyfile'"),
        ("limit-max-requests", "use 'max-requests'"),
        ("asgi-loop", "use 'loop'"),
        ("threads", "our uvicorn worker runs one event loop per process; remove it"),
    ],
)
def test_options_gunicorn_or_its_own_workers_own(key: str, advice: str) -> None:
    message = error_for(GUNICORN_UVICORN, {key: "1"})
    assert message.startswith(
        f"PRODUCTION_PROCESSES['web']['ARGS'][{key!r}]: is not for GunicornUvicornServer"
    )
    assert message.endswith(advice)


def test_unknown_key_suggests_from_both_servers() -> None:
    assert error_for(GUNICORN_UVICORN, {"limit-concurency": 5}).endswith(
        "did you mean 'limit-concurrency'?"
    )
    assert error_for(GUNICORN_UVICORN, {"worker": 5}).endswith("did you mean 'workers'?")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"workers": "four"}, "'four' is not valid for --workers"),
        ({"bind": "127.0.0.1:99999"}, "port 99999 is out of range"),
        ({"worker-connections": "-3"}, "is not valid for --worker-connections"),
        ({"ws-max-size": "big"}, "'big' is not a valid integer"),
        ({"loop": "uvlop"}, "'uvlop' is not"),
    ],
)
def test_values_either_server_would_reject(args: dict[str, str], problem: str) -> None:
    assert problem in error_for(GUNICORN_UVICORN, args)


def test_config_file_only_settings_point_to_a_config_module() -> None:
    assert error_for(GUNICORN, {"logconfig_dict": {}}).endswith(
        "put it in a gunicorn config module and point 'config' at it, "
        "e.g. 'config': 'python:mysite.gunicorn_conf'"
    )


def test_wsgi_backend_takes_gunicorns_own_workers() -> None:
    backend = load(GUNICORN, {"bind": "127.0.0.1:8000", "worker-class": "gthread", "threads": 4})
    assert isinstance(backend, GunicornServer)
    assert backend.prep_server_args() == [
        "example_project.wsgi:application",
        *CONTROL_SOCKET_OFF,
        "--bind=127.0.0.1:8000",
        "--worker-class=gthread",
        "--threads=4",
    ]


def test_wsgi_backend_has_no_uvicorn_options() -> None:
    assert "gunicorn has no option --limit-concurrency" in error_for(
        GUNICORN, {"limit-concurrency": 5}
    )


def test_wsgi_backend_worker_class_that_cannot_load() -> None:
    assert "worker class 'no.such.Worker' cannot be loaded" in error_for(
        GUNICORN, {"worker-class": "no.such.Worker"}
    )


def test_gunicorn_cannot_take_a_key_password(tls_files: Any, encrypted_key: Any) -> None:
    message = error_for(
        GUNICORN, {"certfile": str(tls_files["cert"]), "keyfile": str(encrypted_key)}
    )
    assert message.endswith("this server takes no key password: give it an unencrypted key")


def test_our_worker_takes_the_key_password(tls_files: Any, encrypted_key: Any) -> None:
    from .conftest import ENCRYPTED_KEY_PASSWORD

    args = {
        "certfile": str(tls_files["cert"]),
        "keyfile": str(encrypted_key),
        "ssl-keyfile-password": ENCRYPTED_KEY_PASSWORD,
    }
    assert load(GUNICORN_UVICORN, args).uvicorn_args == [
        f"--ssl-keyfile-password={ENCRYPTED_KEY_PASSWORD}"
    ]


def test_refused_keys_live_in_the_schemas() -> None:
    from django_prodserver.backends.gunicorn.schema import (
        FOR_GUNICORNS_OWN_WORKERS,
        GUNICORN_DOES_THIS,
        gunicorn_schema,
        gunicorn_uvicorn_schema,
    )

    split = gunicorn_uvicorn_schema()
    for name in [*FOR_GUNICORNS_OWN_WORKERS, "port", "uds", "timeout-keep-alive"]:
        assert split.refusal(name) is not None, name
        assert split.lookup(name) is None, name
    assert set(GUNICORN_DOES_THIS) - set(split.refused) == {
        name for name in GUNICORN_DOES_THIS if gunicorn_schema().lookup(name)
    }
    assert gunicorn_schema().refusal("on_starting") is not None
    assert gunicorn_schema().refusal("uds_mode") is not None


def test_one_translation_gives_each_component_its_own_arguments() -> None:
    from django_prodserver.backends.gunicorn.schema import gunicorn_uvicorn_schema
    from django_prodserver.options.translation import translate

    translated = translate(
        {"bind": "127.0.0.1:8000", "limit-concurrency": "5", "workers": "2", "http": "h11"},
        gunicorn_uvicorn_schema(),
    )
    assert translated.argv_of("gunicorn") == ["--bind=127.0.0.1:8000", "--workers=2"]
    assert translated.argv_of("uvicorn") == ["--limit-concurrency=5", "--http=h11"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("--workers=many", "--workers: 'many' is not valid for --workers"),
        ("--wrokers=2", "--wrokers: gunicorn has no option --wrokers; did you mean 'workers'? ("),
        ("--bind '127.0.0.1:8000", "cannot be split into options (No closing quotation)"),
    ],
)
def test_gunicorn_cmd_args_are_checked_like_args(value: str, problem: str) -> None:
    result = run_prodserver(
        web_on(GUNICORN, free_port()), "web", "--dry-run", env={"GUNICORN_CMD_ARGS": value}
    )
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"CommandError: GUNICORN_CMD_ARGS: {problem}")
    assert "gunicorn reads it as options under ARGS: fix or unset the variable" in line


def test_dry_run_shows_gunicorn_cmd_args_with_secrets_masked() -> None:
    port = free_port()
    result = run_prodserver(
        web_on(GUNICORN, port),
        "web",
        "--dry-run",
        env={"GUNICORN_CMD_ARGS": "--workers=3 --env=API_TOKEN=s3cret"},
    )
    assert result.returncode == 0, result.stderr
    assert "GUNICORN_CMD_ARGS=--workers=3 " in result.stdout
    assert "--env=API_TOKEN=***" in result.stdout
    assert "s3cret" not in result.stdout


def test_w001_sees_forwarded_allow_ips_from_gunicorn_cmd_args(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_prodserver.checks import check_deployment

    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--forwarded-allow-ips=*")
    settings.PRODUCTION_PROCESSES = web_on(GUNICORN, 8000)
    (warning,) = [message for message in check_deployment(None) if message.id == "prodserver.W001"]
    assert warning.msg.startswith(
        "GUNICORN_CMD_ARGS set 'forwarded-allow-ips' for 'web', which is '*' on a TCP socket"
    )


def test_secret_env_entries_are_masked_and_kept_off_the_command_line() -> None:
    args = {
        "env": ["DATABASE_PASSWORD=pw1", "API_TOKEN=tk2", "AWS_SECRET_ACCESS_KEY=k3", "LEVEL=2"]
    }
    backend = load(GUNICORN, args)
    assert not any(argument.startswith("--env") for argument in backend.prep_server_args())
    shown = " ".join(backend.command_line(redact=True))
    for secret in ("pw1", "tk2", "k3"):
        assert secret not in shown
    assert "DATABASE_PASSWORD=*** API_TOKEN=*** AWS_SECRET_ACCESS_KEY=*** LEVEL=2" in shown
    assert backend.process_environment() == {
        "DATABASE_PASSWORD": "pw1",
        "API_TOKEN": "tk2",
        "AWS_SECRET_ACCESS_KEY": "k3",
        "LEVEL": "2",
    }


def test_a_mistyped_secret_override_is_echoed_masked() -> None:
    result = run_prodserver(
        web_on(UVICORN, free_port()), "web", "--dry-run", "--", "-ssl-keyfile-password=hunter2"
    )
    assert result.returncode == 2
    assert "hunter2" not in result.stderr
    assert "override '-ssl-keyfile-password=***' is not an option" in result.stderr
