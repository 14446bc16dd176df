"""Reference pages written at build time from the code itself: the options each backend
takes (read from the installed uvicorn and gunicorn), and the exact message of every
configuration mistake in the catalogue below, produced by the validation ``prodserver``
runs. Pages include them from ``docs/generated/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.test.utils import override_settings
from sphinx.application import Sphinx

from django_prodserver.backends.gunicorn import (
    FOR_GUNICORNS_OWN_WORKERS,
    GUNICORN_DOES_THIS,
    uvicorn_only_schema,
)
from django_prodserver.conf import process_config
from django_prodserver.errors import ConfigurationError
from django_prodserver.gunicorn_options import gunicorn_schema
from django_prodserver.options import OptionSchema
from django_prodserver.processes import load_backend
from django_prodserver.uvicorn_options import PRODSERVER_UVICORN_OPTIONS, uvicorn_schema

GENERATED = Path(__file__).resolve().parent.parent / "generated"
UVICORN = "django_prodserver.backends.uvicorn.UvicornServer"
UVICORN_WSGI = "django_prodserver.backends.uvicorn.UvicornWSGIServer"
GUNICORN_UVICORN = "django_prodserver.backends.gunicorn.GunicornUvicornServer"
GUNICORN = "django_prodserver.backends.gunicorn.GunicornServer"


def web(args: dict[str, Any], backend: str = UVICORN) -> dict[str, Any]:
    return {"web": {"BACKEND": backend, "ARGS": args}}


#: (what went wrong, PRODUCTION_PROCESSES, other settings): one row per mistake.
MISTAKES: list[tuple[str, Any, dict[str, Any]]] = [
    ("The setting is empty", {}, {}),
    ("A process is not a dict", {"web": UVICORN}, {}),
    ("A process has no BACKEND", {"web": {"ARGS": {}}}, {}),
    ("BACKEND is not a dotted path", {"web": {"BACKEND": "UvicornServer"}}, {}),
    ("BACKEND's module is missing", {"web": {"BACKEND": "myproject.servers.Server"}}, {}),
    ("BACKEND names no class there", {"web": {"BACKEND": UVICORN + "X"}}, {}),
    ("ARGS is not a dict", {"web": {"BACKEND": UVICORN, "ARGS": "--port=8000"}}, {}),
    ("A misspelt option", web({"prot": "8000"}), {}),
    ("An option the server does not have", web({"threads": "4"}), {}),
    ("A value of the wrong type", web({"workers": "four"}), {}),
    ("A port out of range", web({"port": "80000"}), {}),
    ("A choice the server does not offer", web({"loop": "trio"}), {}),
    ("A flag given a non-boolean", web({"access-log": "sometimes"}), {}),
    ("A list for an option taken once", web({"port": ["8000", "8001"]}), {}),
    ("The same option under two spellings", web({"log-level": "info", "log_level": "debug"}), {}),
    ("reload with workers", web({"reload": "True", "workers": "4"}), {}),
    ("uds-mode without uds", web({"uds-mode": "660"}), {}),
    ("A uds-mode that is not a mode", web({"uds": "/run/web.sock", "uds-mode": "rw-rw----"}), {}),
    ("A TLS certificate that does not exist", web({"ssl-certfile": "/etc/ssl/missing.pem"}), {}),
    (
        "The WSGI backend with interface asgi3",
        web({"interface": "asgi3"}, UVICORN_WSGI),
        {},
    ),
    ("ASGI_APPLICATION missing", web({}), {"ASGI_APPLICATION": None}),
    ("ASGI_APPLICATION not importable", web({}), {"ASGI_APPLICATION": "myproject.asgi.app"}),
    ("A uvicorn option gunicorn owns", web({"port": "8000"}, GUNICORN_UVICORN), {}),
    ("A gunicorn worker option our worker ignores", web({"threads": "4"}, GUNICORN_UVICORN), {}),
    (
        "A gunicorn worker class under GunicornUvicornServer",
        web({"worker-class": "sync"}, GUNICORN_UVICORN),
        {},
    ),
    ("A gunicorn config-file setting in ARGS", web({"on_starting": "x"}, GUNICORN), {}),
    ("uds-mode under gunicorn", web({"uds-mode": "660"}, GUNICORN), {}),
]


def error_for(processes: Any, settings: dict[str, Any]) -> str:
    with override_settings(PRODUCTION_PROCESSES=processes, **settings):
        try:
            load_backend(process_config(None))
        except ConfigurationError as error:
            return error.message.replace(str(Path.cwd()), "<current directory>")
    raise AssertionError(f"no error for {processes!r}: the catalogue is out of date")


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def options_table(schema: OptionSchema, notes: dict[str, str] | None = None) -> Iterator[str]:
    yield "| `ARGS` key | value | what it does |"
    yield "|---|---|---|"
    for option in schema.options:
        value = "a value" if option.takes_value else "`True` / `False`"
        if option.multiple:
            value += ", or a list"
        if option.negative:
            value += f" (or `{option.negative}`)"
        text = (notes or {}).get(option.name, option.help)
        yield f"| `{option.name}` | {value} | {escape(text)} |"


def refusal_table(advice: dict[str, str]) -> Iterator[str]:
    yield "| key | instead |"
    yield "|---|---|"
    for name, fix in sorted(advice.items()):
        yield f"| `{name}` | {escape(fix)} |"


def mistakes_table() -> Iterator[str]:
    yield "| mistake | the one line `prodserver` prints (exit status 2) |"
    yield "|---|---|"
    for title, processes, settings in MISTAKES:
        yield f"| {title} | `{escape(error_for(processes, settings))}` |"


def write_reference(app: Sphinx) -> None:
    GENERATED.mkdir(exist_ok=True)
    pages = {
        "uvicorn-options.md": options_table(uvicorn_schema()),
        "prodserver-uvicorn-options.md": options_table(PRODSERVER_UVICORN_OPTIONS),
        "gunicorn-options.md": options_table(gunicorn_schema()),
        "gunicorn-uvicorn-options.md": options_table(uvicorn_only_schema()),
        "gunicorn-uvicorn-refused.md": refusal_table(
            {**GUNICORN_DOES_THIS, **FOR_GUNICORNS_OWN_WORKERS}
        ),
        "error-messages.md": mistakes_table(),
    }
    for name, lines in pages.items():
        (GENERATED / name).write_text("\n".join(lines) + "\n")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", write_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
