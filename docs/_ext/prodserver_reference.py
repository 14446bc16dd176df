"""The parts of the docs made from the code and the repository, kept in the pages themselves
so that they read the same on GitHub as in the built docs: the options each backend takes
(read from the installed uvicorn and gunicorn), the exact message of every configuration
mistake in the shared catalogue (produced by the validation ``prodserver`` runs), and the
deployment files the recipes show.

    python docs/refresh.py     # rewrite the pages whose parts are stale

The Sphinx build warns (an error with -W) and a test fails when a page is stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.test.utils import override_settings

from django_prodserver.backends.asgi_handler import HANDLER_OPTIONS
from django_prodserver.backends.celery.schema import celery_schema
from django_prodserver.backends.granian.schema import granian_schema
from django_prodserver.backends.gunicorn.schema import (
    FOR_GUNICORNS_OWN_WORKERS,
    GUNICORN_DOES_THIS,
    gunicorn_schema,
    uvicorn_only_schema,
)
from django_prodserver.backends.management.schema import command_schema
from django_prodserver.backends.uvicorn.schema import PRODSERVER_UVICORN_OPTIONS, uvicorn_schema
from django_prodserver.backends.waitress.schema import waitress_schema
from django_prodserver.conf import process_config
from django_prodserver.errors import ConfigurationError
from django_prodserver.options.schema import OptionSchema
from django_prodserver.processes import load_backend
from tests.support.mistakes import MISTAKES, Mistake

if TYPE_CHECKING:
    from sphinx.application import Sphinx

DOCS = Path(__file__).resolve().parent.parent


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
        if option.positional:
            value = "the positional argument"
        if option.multiple:
            value += ", or a list"
        if option.negative:
            value += f" (or `{option.negative}`)"
        text = (notes or {}).get(option.name, option.help)
        names = ", ".join(f"`{name}`" for name in (option.name, *option.aliases))
        yield f"| {names} | {value} | {escape(text)} |"


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


def generated_parts() -> dict[str, list[str]]:
    return {
        "uvicorn-options": list(options_table(uvicorn_schema())),
        "prodserver-uvicorn-options": list(options_table(PRODSERVER_UVICORN_OPTIONS)),
        "gunicorn-options": list(options_table(gunicorn_schema())),
        "gunicorn-uvicorn-options": list(options_table(uvicorn_only_schema())),
        "gunicorn-uvicorn-refused": list(
            refusal_table({**GUNICORN_DOES_THIS, **FOR_GUNICORNS_OWN_WORKERS})
        ),
        "error-messages": list(mistakes_table()),
        "granian-options": list(options_table(granian_schema())),
        "asgi-handler-options": list(options_table(HANDLER_OPTIONS)),
        "waitress-options": list(options_table(waitress_schema())),
        "celery-worker-options": list(options_table(celery_schema("worker"))),
        "celery-beat-options": list(options_table(celery_schema("beat"))),
        "db-worker-options": list(options_table(command_schema("db_worker"))),
        "rqworker-options": list(options_table(command_schema("rqworker"))),
        "qcluster-options": list(options_table(command_schema("qcluster"))),
        "runserver-options": list(options_table(command_schema("runserver"))),
    }


#: ``<!-- generated: NAME -->`` ... ``<!-- end generated -->``: a table made from the code.
GENERATED_REGION = re.compile(r"(<!-- generated: (\S+) -->\n).*?(<!-- end generated -->)", re.S)
#: ``<!-- file: PATH LANGUAGE -->`` ... ``<!-- end file -->``: a file of the repository, shown.
FILE_REGION = re.compile(r"(<!-- file: (\S+) (\S+) -->\n).*?(<!-- end file -->)", re.S)


def refreshed(page: Path, text: str, parts: dict[str, list[str]]) -> str:
    """``text`` with every marked region filled from the code and the files it names, so
    that the pages read the same on GitHub as in the built docs."""

    def table(match: re.Match[str]) -> str:
        return match[1] + "\n" + "\n".join(parts[match[2]]) + "\n\n" + match[3]

    def shown_file(match: re.Match[str]) -> str:
        content = (page.parent / match[2]).read_text().rstrip("\n")
        return f"{match[1]}\n```{match[3]}\n{content}\n```\n\n{match[4]}"

    return FILE_REGION.sub(shown_file, GENERATED_REGION.sub(table, text))


def pages() -> list[Path]:
    return sorted(path for path in DOCS.rglob("*.md") if "_build" not in path.parts)


def stale_pages() -> list[Path]:
    parts = generated_parts()
    return [
        page for page in pages() if refreshed(page, page.read_text(), parts) != page.read_text()
    ]


def refresh_pages() -> list[Path]:
    """Rewrite every stale page; the pages rewritten."""
    parts = generated_parts()
    changed = []
    for page in pages():
        text = page.read_text()
        new = refreshed(page, text, parts)
        if new != text:
            page.write_text(new)
            changed.append(page)
    return changed


def check_pages(app: Sphinx) -> None:
    from sphinx.util import logging

    stale = stale_pages()
    if stale:
        logging.getLogger(__name__).warning(
            "generated parts of %s are out of date: run python docs/refresh.py",
            ", ".join(str(page.relative_to(DOCS)) for page in stale),
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", check_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
