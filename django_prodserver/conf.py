"""Typed access to the ``PRODUCTION_PROCESSES`` setting, checked for shape."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .errors import ROOT_SETTING, ConfigurationError, quoted_list

#: The keys of every process; a backend may read more (``backends.base.process_keys``).
PROCESS_KEYS = ("BACKEND", "ARGS")
EXAMPLE = (
    "e.g. PRODUCTION_PROCESSES = {'web': {'BACKEND': "
    "'django_prodserver.backends.uvicorn.UvicornServer', 'ARGS': {'port': '8000'}}}"
)


@dataclass(frozen=True)
class ProcessConfig:
    name: str
    backend_path: str
    args: Mapping[str, Any]
    raw: Mapping[str, Any]


def is_configured() -> bool:
    """Whether the settings define PRODUCTION_PROCESSES at all (a test or local settings
    module often does not: only ``prodserver`` needs it)."""
    return hasattr(settings, ROOT_SETTING)


def production_processes() -> dict[str, ProcessConfig]:
    """Every configured process, in setting order. Raises ConfigurationError on a bad shape."""
    return {str(name): _process_config(name, entry) for name, entry in _configured().items()}


def process_config(name: str | None) -> ProcessConfig:
    """The process called ``name``; the first configured one when ``name`` is None. Only its
    own entry is checked, so a broken process never blocks another from starting."""
    processes = _configured()
    if name is None:
        first = next(iter(processes))
        return _process_config(first, processes[first])
    if name not in processes:
        names = [str(key) for key in processes]
        suggestion = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {suggestion[0]!r}? " if suggestion else ""
        raise ConfigurationError(
            (),
            f"has no process named {name!r}",
            f"{hint}choose one of {quoted_list(names)}",
        )
    return _process_config(name, processes[name])


def _configured() -> Mapping[Any, Any]:
    if not is_configured():
        raise ConfigurationError((), "is not set", f"add it to your settings module, {EXAMPLE}")
    raw = getattr(settings, ROOT_SETTING)
    if not isinstance(raw, Mapping):
        raise ConfigurationError(
            (),
            f"must be a dict of process names to their configuration, not {type(raw).__name__}",
            EXAMPLE,
        )
    if not raw:
        raise ConfigurationError((), "is empty", f"configure at least one process, {EXAMPLE}")
    return raw


def _process_config(name: object, entry: object) -> ProcessConfig:
    if not isinstance(name, str) or not name:
        raise ConfigurationError(
            (),
            f"process names must be non-empty strings, not {name!r}",
            "name each process with a string such as 'web'",
        )
    where = (name,)
    if not isinstance(entry, Mapping):
        raise ConfigurationError(
            where,
            f"must be a dict with 'BACKEND' and 'ARGS', not {type(entry).__name__}",
            "e.g. {'BACKEND': 'django_prodserver.backends.uvicorn.UvicornServer', 'ARGS': {}}",
        )
    if "BACKEND" not in entry:
        raise ConfigurationError(
            where,
            "has no 'BACKEND'",
            "add 'BACKEND': 'django_prodserver.backends.uvicorn.UvicornServer' or another backend",
        )
    backend = entry["BACKEND"]
    if not isinstance(backend, str) or "." not in backend.strip(".") or " " in backend:
        raise ConfigurationError(
            (*where, "BACKEND"),
            f"{backend!r} is not a dotted path to a backend class",
            "use a path such as 'django_prodserver.backends.uvicorn.UvicornServer'",
        )
    args = entry.get("ARGS", {})
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise ConfigurationError(
            (*where, "ARGS"),
            f"must be a dict of server options, not {type(args).__name__}",
            "e.g. 'ARGS': {'host': '0.0.0.0', 'port': '8000'}",
        )
    return ProcessConfig(name=name, backend_path=backend, args=args, raw=entry)


def check_allowed_hosts() -> None:
    """As ``runserver`` refuses to: with DEBUG off and no ALLOWED_HOSTS, Django answers 400
    to every request (and logs nothing), so a web server is refused before it starts."""
    if not settings.DEBUG and not settings.ALLOWED_HOSTS:
        raise ConfigurationError(
            (),
            "is empty while DEBUG is False, so Django would answer 400 (Bad Request) to every "
            "request",
            "list the host names this server answers to, e.g. "
            "ALLOWED_HOSTS = ['www.example.com'] (or set DEBUG = True for development)",
            setting="ALLOWED_HOSTS",
        )
