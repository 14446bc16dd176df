"""Reference pages written at build time from the code itself: the options each backend
takes (read from the installed uvicorn and gunicorn), and the exact message of every
configuration mistake in the catalogue below, produced by the validation ``prodserver``
runs. Pages include them from ``docs/generated/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.test.utils import override_settings
from sphinx.application import Sphinx

from django_prodserver.backends.gunicorn.schema import (
    FOR_GUNICORNS_OWN_WORKERS,
    GUNICORN_DOES_THIS,
    gunicorn_schema,
    uvicorn_only_schema,
)
from django_prodserver.backends.uvicorn.schema import PRODSERVER_UVICORN_OPTIONS, uvicorn_schema
from django_prodserver.conf import process_config
from django_prodserver.errors import ConfigurationError
from django_prodserver.options.schema import OptionSchema
from django_prodserver.processes import load_backend
from tests.support.mistakes import MISTAKES, Mistake

GENERATED = Path(__file__).resolve().parent.parent / "generated"


def error_for(mistake: Mistake) -> str:
    """The message prodserver prints for ``mistake``, by the validation the command runs."""
    settings = dict(mistake.settings)
    if mistake.processes != "absent":
        settings["PRODUCTION_PROCESSES"] = mistake.processes
    with override_settings(**settings):
        if mistake.processes == "absent":
            del django_settings.PRODUCTION_PROCESSES
        try:
            config = process_config(mistake.argv[0] if mistake.argv else None)
            load_backend(config, on_this_machine=True).preflight()
        except ConfigurationError as error:
            return error.message.replace(str(Path.cwd()), "<current directory>")
    raise AssertionError(f"no error for {mistake.title!r}: the catalogue is out of date")


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
    for mistake in MISTAKES:
        if mistake.documented:
            yield f"| {mistake.title} | `{escape(error_for(mistake))}` |"


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
