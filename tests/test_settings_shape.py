"""The shape of PRODUCTION_PROCESSES, read through the typed accessor."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from django_prodserver.conf import process_config, production_processes
from django_prodserver.errors import ConfigurationError
from django_prodserver.processes import load_backend

from .support.processes import CELERY_WORKER, UVICORN


def error_for(settings: Settings, value: object, name: str | None = None) -> str:
    settings.PRODUCTION_PROCESSES = value
    with pytest.raises(ConfigurationError) as caught:
        process_config(name)
    return caught.value.message


def test_missing_setting(settings: Settings) -> None:
    del settings.PRODUCTION_PROCESSES
    with pytest.raises(ConfigurationError) as caught:
        production_processes()
    assert caught.value.message.startswith(
        "PRODUCTION_PROCESSES: is not set; add it to your settings module, e.g."
    )


def test_empty_setting(settings: Settings) -> None:
    assert error_for(settings, {}).startswith(
        "PRODUCTION_PROCESSES: is empty; configure at least one process"
    )


def test_setting_not_a_dict(settings: Settings) -> None:
    assert error_for(settings, [UVICORN]).startswith(
        "PRODUCTION_PROCESSES: must be a dict of process names to their configuration, not list;"
    )


def test_process_not_a_dict(settings: Settings) -> None:
    assert error_for(settings, {"web": UVICORN}).startswith(
        "PRODUCTION_PROCESSES['web']: must be a dict with 'BACKEND' and 'ARGS', not str;"
    )


def test_unknown_process_lists_the_names(settings: Settings) -> None:
    processes = {"web": {"BACKEND": UVICORN}, "worker": {"BACKEND": UVICORN}}
    assert error_for(settings, processes, "wbe") == (
        "PRODUCTION_PROCESSES: has no process named 'wbe'; "
        "did you mean 'web'? choose one of 'web', 'worker'"
    )


def test_backend_missing(settings: Settings) -> None:
    assert error_for(settings, {"web": {"ARGS": {}}}).startswith(
        "PRODUCTION_PROCESSES['web']: has no 'BACKEND'; add 'BACKEND': "
    )


@pytest.mark.parametrize("backend", ["UvicornServer", "", 42, "django_prodserver. backends.X"])
def test_backend_not_a_dotted_path(settings: Settings, backend: object) -> None:
    assert error_for(settings, {"web": {"BACKEND": backend}}).startswith(
        f"PRODUCTION_PROCESSES['web']['BACKEND']: {backend!r} is not a dotted path"
    )


def test_args_not_a_dict(settings: Settings) -> None:
    message = error_for(settings, {"web": {"BACKEND": UVICORN, "ARGS": ["--port=8000"]}})
    assert message.startswith(
        "PRODUCTION_PROCESSES['web']['ARGS']: must be a dict of server options, not list;"
    )


def test_unknown_process_key_suggests_the_right_one(settings: Settings) -> None:
    settings.PRODUCTION_PROCESSES = {"web": {"BACKEND": UVICORN, "ARG": {}}}
    with pytest.raises(ConfigurationError) as caught:
        load_backend(process_config("web"))
    assert caught.value.message == (
        "PRODUCTION_PROCESSES['web']['ARG']: is not a process setting "
        "(only 'BACKEND', 'ARGS' are); did you mean 'ARGS'?"
    )


def test_a_backends_own_process_key_is_named_in_the_error(settings: Settings) -> None:
    settings.PRODUCTION_PROCESSES = {
        "worker": {"BACKEND": CELERY_WORKER, "APP": "example_project.celery.app", "AP": "x"}
    }
    with pytest.raises(ConfigurationError) as caught:
        load_backend(process_config("worker"))
    assert caught.value.message == (
        "PRODUCTION_PROCESSES['worker']['AP']: is not a process setting (only 'BACKEND', "
        "'ARGS' are, and CeleryWorker reads 'APP'); did you mean 'APP'?"
    )


def test_first_process_is_the_default(settings: Settings) -> None:
    settings.PRODUCTION_PROCESSES = {
        "web": {"BACKEND": UVICORN, "ARGS": {"port": "1"}},
        "other": {"BACKEND": UVICORN},
    }
    config = process_config(None)
    assert (config.name, config.backend_path, dict(config.args)) == ("web", UVICORN, {"port": "1"})
    assert process_config("other").args == {}


@pytest.mark.parametrize("name", [1, ""])
def test_process_names_are_non_empty_strings(settings: Settings, name: object) -> None:
    message = error_for(settings, {name: {"BACKEND": UVICORN}})
    assert message.startswith(
        f"PRODUCTION_PROCESSES: process names must be non-empty strings, not {name!r}"
    )
