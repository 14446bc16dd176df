"""Turn a configured process into a ready-to-start backend, or a ConfigurationError."""

from __future__ import annotations

import inspect
from importlib import import_module

from .backends.base import BaseServerBackend
from .conf import ProcessConfig
from .errors import BackendError, ConfigurationError
from .options.overrides import parse_overrides, with_overrides

#: Every backend django-prodserver ships, by its public path.
OUR_BACKENDS = (
    "django_prodserver.backends.uvicorn.UvicornServer",
    "django_prodserver.backends.uvicorn.UvicornWSGIServer",
    "django_prodserver.backends.gunicorn.GunicornUvicornServer",
    "django_prodserver.backends.gunicorn.GunicornServer",
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
        if overrides:
            schema = backend_class.option_schema()
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


def backend_class_for(config: ProcessConfig) -> type[BaseServerBackend]:
    where = (config.name, "BACKEND")
    module_path, _, class_name = config.backend_path.rpartition(".")
    try:
        module = import_module(module_path)
    except ImportError as error:
        raise BackendError(
            where,
            f"module {module_path!r} cannot be imported ({error})",
            f"check the path; the built-in backends are {', '.join(OUR_BACKENDS)}",
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
