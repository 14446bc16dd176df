"""Turn a configured process into a ready-to-start backend, or a ConfigurationError."""

from __future__ import annotations

import difflib
import inspect
from importlib import import_module

from .backends.base import BaseServerBackend
from .conf import PROCESS_KEYS, ProcessConfig
from .errors import BackendError, ConfigurationError, quoted_list
from .options.overrides import parse_overrides, with_overrides

BUILT_IN = "django_prodserver.backends."
#: Every backend django-prodserver ships, by its public path.
OUR_BACKENDS = (
    "django_prodserver.backends.uvicorn.UvicornServer",
    "django_prodserver.backends.uvicorn.UvicornWSGIServer",
    "django_prodserver.backends.gunicorn.GunicornUvicornServer",
    "django_prodserver.backends.gunicorn.GunicornServer",
    "django_prodserver.backends.granian.GranianASGIServer",
    "django_prodserver.backends.granian.GranianWSGIServer",
    "django_prodserver.backends.waitress.WaitressServer",
    "django_prodserver.backends.celery.CeleryWorker",
    "django_prodserver.backends.celery.CeleryBeat",
    "django_prodserver.backends.django_tasks.DjangoTasksWorker",
    "django_prodserver.backends.django_q2.DjangoQ2Worker",
    "django_prodserver.backends.rq.RQWorker",
    "django_prodserver.backends.management.ManagementCommand",
    "django_prodserver.backends.management.RunServer",
)


def load_backend(
    config: ProcessConfig, overrides: list[str] | None = None, *, on_this_machine: bool = False
) -> BaseServerBackend:
    """The process's backend, its ARGS changed by command-line ``overrides`` if any.

    The setting itself is always checked; ``on_this_machine`` also checks it against this
    machine's files and environment, as for a process about to run here."""
    backend_class = backend_class_for(config)
    raw = dict(config.raw)
    from_command_line: dict[str, str] = {}
    try:
        check_process_keys(config, backend_class)
        if overrides:
            schema = backend_class.schema_for(raw)
            parsed = parse_overrides(overrides, schema)
            from_command_line = {key: key for key in parsed}
            parsed, from_command_line = backend_class.command_line_overrides(config.args, parsed)
            raw["ARGS"] = with_overrides(config.args, parsed, schema)
        backend = backend_class(**raw)
        if on_this_machine:
            backend.check_environment()
    except ConfigurationError as error:
        if error.keys[:1] == ("ARGS",) and error.keys[1:2] and error.keys[1] in from_command_line:
            shown = from_command_line[error.keys[1]]
            raise error.on_command_line(config.name, shown) from error.__cause__
        raise error.inside(config.name) from error.__cause__
    return backend


def check_process_keys(config: ProcessConfig, backend_class: type[BaseServerBackend]) -> None:
    """Each key of the process is one the backend reads (``BACKEND``, ``ARGS`` and the
    backend's own ``process_keys``, such as Celery's ``APP``), and each of the backend's own
    keys is there."""
    own = backend_class.process_keys
    known = (*PROCESS_KEYS, *own)
    for key in config.raw:
        if key in known:
            continue
        suggestion = difflib.get_close_matches(str(key).upper(), known, n=1)
        extra = f", and {backend_class.__name__} reads {quoted_list(list(own))}" if own else ""
        raise ConfigurationError(
            (str(key),),
            f"is not a process setting (only {quoted_list(PROCESS_KEYS)} are{extra})",
            f"did you mean {suggestion[0]!r}?" if suggestion else "remove it",
        )
    for key, holds in own.items():
        if key not in config.raw:
            raise ConfigurationError(
                (), f"has no {key!r}", f"{backend_class.__name__} needs {key!r}: {holds}"
            )
        value = config.raw[key]
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(
                (key,), f"must be a non-empty string, not {value!r}", f"give {holds}"
            )


def backend_class_for(config: ProcessConfig) -> type[BaseServerBackend]:
    where = (config.name, "BACKEND")
    module_path, _, class_name = config.backend_path.rpartition(".")
    try:
        module = import_module(module_path)
    except ImportError as error:
        # A class of ours under another module (the path of a backend that moved).
        close = [path for path in OUR_BACKENDS if path.rpartition(".")[2] == class_name]
        raise BackendError(
            where,
            f"module {module_path!r} cannot be imported ({error})",
            f"did you mean {close[0]!r}?"
            if close
            else "check the path; the built-in backends are "
            f"{', '.join(path.removeprefix(BUILT_IN) for path in OUR_BACKENDS)} "
            f"under {BUILT_IN}",
        ) from error
    candidate = getattr(module, class_name, None)
    if candidate is None:
        found = _backend_names(module)
        raise BackendError(
            where,
            f"module {module_path!r} has no attribute {class_name!r}",
            f"use one of {', '.join(found)}" if found else "check the class name",
        )
    if not (inspect.isclass(candidate) and issubclass(candidate, BaseServerBackend)):
        kind = "class" if inspect.isclass(candidate) else type(candidate).__name__
        raise BackendError(
            where,
            f"{config.backend_path!r} is a {kind} but not a server backend",
            "point it at a subclass of django_prodserver.backends.base.BaseServerBackend",
        )
    return candidate


def _backend_names(module: object) -> list[str]:
    return [
        f"{getattr(module, '__name__', '')}.{name}"
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseServerBackend)
        and value is not BaseServerBackend
    ]
