"""One test per system check id: it fires, it stays quiet, and its hint says what to do."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from django.core.checks import CheckMessage, run_checks
from django.core.checks.registry import registry
from pytest_django.fixtures import Settings

from django_prodserver.checks import (
    check_asgi_middleware,
    check_configuration,
    check_deployment,
    check_machine,
)

from .support.processes import (
    CELERY_WORKER,
    GRANIAN,
    GUNICORN,
    GUNICORN_UVICORN,
    RUNSERVER,
    UVICORN,
    UVICORN_WSGI,
    WAITRESS,
    web,
)
from .support.servers import EXAMPLE_PROJECT, free_port, process_env, run_prodserver


def messages(
    settings: Settings, processes: Any, check: Any = check_configuration
) -> list[CheckMessage]:
    settings.PRODUCTION_PROCESSES = processes
    return list(check(None))


def only(found: list[CheckMessage], check_id: str) -> CheckMessage:
    matching = [message for message in found if message.id == check_id]
    assert len(matching) == 1, found
    return matching[0]


def test_valid_configuration_has_no_errors(settings: Settings) -> None:
    assert messages(settings, web({"port": "8000", "workers": 2})) == []


@pytest.mark.parametrize(
    ("processes", "check_id", "text", "hint"),
    [
        (
            [UVICORN],
            "prodserver.E001",
            "PRODUCTION_PROCESSES: must be a dict",
            "E.g. PRODUCTION_PROCESSES",
        ),
        (
            {"web": {"BACKEND": "nowhere.Server"}},
            "prodserver.E002",
            "['BACKEND']: module 'nowhere' cannot be imported",
            "Check the path",
        ),
        (
            web({"prot": "8000"}),
            "prodserver.E003",
            "['ARGS']['prot']: uvicorn has no option --prot",
            "Did you mean 'port'?",
        ),
        (
            web({"port": "99999"}),
            "prodserver.E004",
            "['ARGS']['port']: 99999 is out of range",
            "Use a port from 0 to 65535.",
        ),
        (
            web({"reload": True, "workers": 2}),
            "prodserver.E005",
            "2 workers cannot run with reload",
            "Remove 'reload' for production",
        ),
    ],
    ids=["E001", "E002", "E003", "E004", "E005"],
)
def test_configuration_errors(
    settings: Settings, processes: Any, check_id: str, text: str, hint: str
) -> None:
    error = only(messages(settings, processes), check_id)
    assert text in error.msg
    assert error.hint is not None
    assert error.hint.startswith(hint)


def test_e007_tls_files_are_checked_on_this_machine_by_check_deploy(settings: Settings) -> None:
    processes = web({"ssl-certfile": "/no/cert.pem"})
    assert messages(settings, processes) == []
    error = only(messages(settings, processes, check_machine), "prodserver.E007")
    assert "['ARGS']['ssl-certfile']: '/no/cert.pem' is not a file" in error.msg
    assert error.hint is not None
    assert error.hint.startswith("Give the path of the PEM file")


def test_e006_application_setting(settings: Settings) -> None:
    settings.ASGI_APPLICATION = "nowhere.asgi.application"
    error = only(messages(settings, web()), "prodserver.E006")
    assert error.msg.startswith(
        "ASGI_APPLICATION: 'nowhere.asgi.application' could not be imported"
    )
    assert error.hint is not None
    assert "e.g. ASGI_APPLICATION = 'mysite.asgi.application'" in error.hint
    assert messages(settings, web(backend=UVICORN_WSGI)) == []


def test_e008_uvicorn_environment_variable(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UVICORN_WORKERS", "many")
    assert messages(settings, web()) == []
    error = only(messages(settings, web(), check_machine), "prodserver.E008")
    assert "'many' is not a valid integer" in error.msg
    assert error.hint is not None
    assert "UVICORN_* environment variables" in error.hint
    monkeypatch.delenv("UVICORN_WORKERS")
    assert messages(settings, web(), check_machine) == []


def test_each_broken_process_is_reported(settings: Settings) -> None:
    processes = {
        **web({"port": "8000"}),
        "other": {"BACKEND": UVICORN, "ARGS": {"port": "x"}},
        "third": {"BACKEND": UVICORN, "ARGS": {"prot": 1}},
    }
    assert [message.id for message in messages(settings, processes)] == [
        "prodserver.E004",
        "prodserver.E003",
    ]


def deploy(settings: Settings, processes: Any, **overrides: Any) -> list[CheckMessage]:
    for name, value in overrides.items():
        setattr(settings, name, value)
    return messages(settings, processes, check_deployment)


def ids(found: list[CheckMessage]) -> list[str]:
    return [message.id or "" for message in found]


def test_w001_forwarded_allow_ips_everyone_on_tcp(settings: Settings) -> None:
    warning = only(deploy(settings, web({"forwarded-allow-ips": "*"})), "prodserver.W001")
    assert "any client can set X-Forwarded-For" in warning.msg
    assert warning.hint is not None
    assert "List your proxy's addresses" in warning.hint
    assert "prodserver.W001" not in ids(
        deploy(settings, web({"forwarded-allow-ips": "*", "uds": "/run/app.sock"}))
    )
    assert "prodserver.W001" not in ids(deploy(settings, web({"forwarded-allow-ips": "10.0.0.2"})))
    gunicorn = web({"bind": "unix:/run/app.sock", "forwarded-allow-ips": "*"}, GUNICORN_UVICORN)
    assert "prodserver.W001" not in ids(deploy(settings, gunicorn))


def test_w002_reload(settings: Settings) -> None:
    warning = only(deploy(settings, web({"reload": "True"})), "prodserver.W002")
    assert warning.hint == "Remove 'reload' from production settings; use it for development only."
    assert "prodserver.W002" not in ids(deploy(settings, web({"reload": "False"})))


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_w004_persistent_connections_under_asgi(settings: Settings) -> None:
    databases = {"default": {**settings.DATABASES["default"], "CONN_MAX_AGE": 60}}
    warning = only(deploy(settings, web(), DATABASES=databases), "prodserver.W004")
    assert "Django leaks persistent connections" in warning.msg
    assert warning.hint is not None
    assert warning.hint.startswith("Set CONN_MAX_AGE = 0 for ASGI")
    assert "prodserver.W004" not in ids(
        deploy(settings, web(backend=UVICORN_WSGI), DATABASES=databases)
    )
    databases["default"]["CONN_MAX_AGE"] = 0
    assert "prodserver.W004" not in ids(deploy(settings, web(), DATABASES=databases))


def test_w005_keep_alive_shorter_than_the_proxy(settings: Settings) -> None:
    warning = only(deploy(settings, web({"proxy-headers": "True"})), "prodserver.W005")
    assert "['timeout-keep-alive'] is 5s behind a proxy" in warning.msg
    assert warning.hint == "Set 'timeout-keep-alive': '65', longer than the proxy's idle timeout."
    long_enough = web({"proxy-headers": "True", "timeout-keep-alive": "75"})
    assert "prodserver.W005" not in ids(deploy(settings, long_enough))
    assert "prodserver.W005" not in ids(deploy(settings, web()))
    gunicorn = only(
        deploy(settings, web({"forwarded-allow-ips": "10.0.0.2"}, GUNICORN_UVICORN)),
        "prodserver.W005",
    )
    assert "['keep-alive'] is 2s" in gunicorn.msg


@pytest.mark.parametrize(
    ("backend", "args", "option", "default"),
    [
        (UVICORN, {}, "timeout-keep-alive", 5),
        (UVICORN, {"host": "0.0.0.0", "port": "8000"}, "timeout-keep-alive", 5),
        (UVICORN_WSGI, {}, "timeout-keep-alive", 5),
        (UVICORN_WSGI, {"host": "0.0.0.0"}, "timeout-keep-alive", 5),
        (GUNICORN_UVICORN, {}, "keep-alive", 2),
        (GUNICORN_UVICORN, {"bind": "0.0.0.0:8000"}, "keep-alive", 2),
        (GUNICORN, {}, "keep-alive", 2),
        (GUNICORN, {"bind": "0.0.0.0:8000"}, "keep-alive", 2),
    ],
)
def test_w005_names_each_backends_own_keep_alive_option_and_default(
    settings: Settings, backend: str, args: dict[str, Any], option: str, default: int
) -> None:
    behind_proxy = {**args, "forwarded-allow-ips": "10.0.0.1"}
    warning = only(deploy(settings, web(behind_proxy, backend)), "prodserver.W005")
    assert f"[{option!r}] is {default}s behind a proxy" in warning.msg
    assert warning.hint == f"Set {option!r}: '65', longer than the proxy's idle timeout."
    long_enough = web({**behind_proxy, option: "65"}, backend)
    assert "prodserver.W005" not in ids(deploy(settings, long_enough))


def test_a_broken_setting_is_reported_once(settings: Settings) -> None:
    """The shape error is check_configuration's; the deploy checks add nothing to it."""
    assert [message.id for message in messages(settings, [UVICORN])] == ["prodserver.E001"]
    assert messages(settings, [UVICORN], check_machine) == []
    assert messages(settings, [UVICORN], check_deployment) == []


def test_no_setting_is_no_error_outside_prodserver(settings: Settings) -> None:
    del settings.PRODUCTION_PROCESSES
    assert list(check_configuration(None)) == []
    assert list(check_machine(None)) == []
    assert list(check_deployment(None)) == []
    assert list(check_asgi_middleware(None)) == []


def test_i001_middleware_that_hops_to_a_thread_under_asgi(settings: Settings) -> None:
    info = only(messages(settings, web(), check_asgi_middleware), "prodserver.I001")
    assert "django.middleware.csrf.CsrfViewMiddleware" in info.msg
    assert info.hint is not None
    assert "'asgi-handler': 'prodserver'" in info.hint
    assert "django_prodserver.asgi.get_asgi_application()" in info.hint
    assert messages(settings, web(backend=UVICORN_WSGI), check_asgi_middleware) == []
    ours = web({"asgi-handler": "prodserver"})
    assert messages(settings, ours, check_asgi_middleware) == []
    settings.MIDDLEWARE = ["tests.middleware.NativeAsyncMiddleware"]
    assert messages(settings, web(), check_asgi_middleware) == []


def test_checks_are_registered_with_manage_py_check() -> None:
    ours: list[object] = [
        check_configuration,
        check_asgi_middleware,
        check_machine,
        check_deployment,
    ]
    everything: list[object] = list(registry.get_checks(include_deployment_checks=True))
    by_default: list[object] = list(registry.get_checks(include_deployment_checks=False))
    assert all(check in everything for check in ours)
    assert check_deployment not in by_default
    assert check_machine not in by_default
    assert check_asgi_middleware not in by_default
    assert {tag for check in ours for tag in getattr(check, "tags", ())} == {"prodserver"}
    assert {message.id for message in run_checks(tags=["prodserver"])} == set()
    deploy_ids = {
        message.id for message in run_checks(tags=["prodserver"], include_deployment_checks=True)
    }
    assert "prodserver.I001" in deploy_ids


def test_manage_py_check_reports_and_fails() -> None:
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--settings=tests.process_settings"],
        cwd=EXAMPLE_PROJECT,
        env=process_env(web({"port": "99999"})),
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1
    assert (
        "(prodserver.E004) PRODUCTION_PROCESSES['web']['ARGS']['port']: 99999 is out of range"
        in check.stderr
    )


def test_prodserver_is_not_blocked_by_another_broken_process() -> None:
    processes = {
        **web({"host": "127.0.0.1", "port": str(free_port())}),
        "other": {"BACKEND": UVICORN, "ARGS": {"prot": 1}},
    }
    result = run_prodserver(processes, "web", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("backend", "args", "warned"),
    [
        (GUNICORN, {"bind": "0.0.0.0:8000"}, True),
        (GUNICORN, {"bind": "0.0.0.0:8000", "worker-class": "gthread"}, True),
        (GUNICORN, {"bind": "127.0.0.1:8000"}, False),
        (GUNICORN, {"bind": "unix:/run/web.sock"}, False),
        (GUNICORN_UVICORN, {"bind": "0.0.0.0:8000"}, False),
        (UVICORN, {"host": "0.0.0.0"}, False),
    ],
)
def test_w007_blocking_workers_on_a_public_address(
    settings: Settings, backend: str, args: dict[str, Any], warned: bool
) -> None:
    found = [m for m in deploy(settings, web(args, backend)) if m.id == "prodserver.W007"]
    assert bool(found) is warned
    if warned:
        assert "a few slow clients can block them all" in found[0].msg
        assert found[0].hint is not None
        assert "buffering proxy" in found[0].hint


@pytest.mark.parametrize(("backend", "warned"), [(RUNSERVER, True), (UVICORN, False)])
def test_w008_the_development_server_in_production_settings(
    settings: Settings, backend: str, warned: bool
) -> None:
    found = [m for m in deploy(settings, web({}, backend)) if m.id == "prodserver.W008"]
    assert bool(found) is warned


def test_workers_get_no_web_server_advice(settings: Settings) -> None:
    """A task worker serves no HTTP: no static files, keep-alive or proxy advice for it."""
    settings.STATIC_URL = "static/"
    settings.MIDDLEWARE = []
    messages = deploy(settings, web({"concurrency": "2"}, CELERY_WORKER))
    assert [m.id for m in messages] == []


@pytest.mark.parametrize(
    ("backend", "args", "option"),
    [
        (GUNICORN, {"drain-delay": "30"}, "graceful-timeout"),  # gunicorn's default is 30
        (
            UVICORN,
            {"drain-delay": "10", "timeout-graceful-shutdown": "10"},
            "timeout-graceful-shutdown",
        ),
        (WAITRESS, {"drain-delay": "45"}, "graceful-timeout"),
        (GRANIAN, {"drain-delay": "60", "workers-kill-timeout": "1m"}, "workers-kill-timeout"),
    ],
)
def test_w009_a_drain_delay_that_takes_the_whole_graceful_timeout(
    settings: Settings, backend: str, args: dict[str, Any], option: str
) -> None:
    pytest.importorskip(backend.split(".")[2])
    warning = only(deploy(settings, web(args, backend)), "prodserver.W009")
    assert f"['drain-delay'] is {args['drain-delay']}s and {option!r} is" in warning.msg
    shorter = {**args, "drain-delay": "5"}
    assert "prodserver.W009" not in ids(deploy(settings, web(shorter, backend)))


def test_w009_not_when_the_server_waits_for_ever(settings: Settings) -> None:
    """uvicorn and Granian wait for their requests without limit unless told one."""
    assert "prodserver.W009" not in ids(deploy(settings, web({"drain-delay": "300"})))


def test_w010_metrics_on_an_address_other_machines_reach(settings: Settings) -> None:
    warning = only(deploy(settings, web({"metrics-bind": "0.0.0.0:9100"})), "prodserver.W010")
    assert "['metrics-bind'] is '0.0.0.0:9100'" in warning.msg
    for private in ("127.0.0.1:9100", "[::1]:9100", "unix:/run/app/metrics.sock"):
        assert "prodserver.W010" not in ids(deploy(settings, web({"metrics-bind": private})))
