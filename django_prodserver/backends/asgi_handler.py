"""The switch to prodserver's ASGI handler (``django_prodserver.asgi``), an option of ours on
every backend that serves ``ASGI_APPLICATION`` with Django: UvicornServer,
GunicornUvicornServer and GranianASGIServer.

``"asgi-handler": "prodserver"`` serves the project's application with prodserver's handler
in place of Django's, and ``"sync-threads"`` sizes the pool its sync views run in. The
server is then given ``django_prodserver.asgi.serving:application`` and, in its environment,
the project's import string and the pool size (``asgi/serving.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..asgi.serving import APPLICATION_VARIABLE, DEFAULT_THREADS, ENTRY_POINT, THREADS_VARIABLE
from ..errors import ConflictingOptionsError, ServerEnvironmentError
from ..options.schema import InvalidValue, OptionSchema, Refusal, ServerOption
from ..options.translation import TranslatedArgs

ASGI_HANDLER = "asgi-handler"
SYNC_THREADS = "sync-threads"
HANDLERS = ("django", "prodserver")


def check_handler_name(value: str) -> None:
    if value not in HANDLERS:
        raise InvalidValue(
            f"{value!r} is not an ASGI handler",
            "use 'prodserver' (one thread hand-off per sync view) or 'django' (Django's own)",
        )


def check_thread_count(value: str) -> None:
    if not value.strip().isdigit() or int(value) < 1:
        raise InvalidValue(
            f"{value!r} is not a number of threads", f"give 1 or more, e.g. '{DEFAULT_THREADS}'"
        )


HANDLER_OPTIONS = OptionSchema(
    "prodserver",
    [
        ServerOption(
            ASGI_HANDLER,
            takes_value=True,
            validate=check_handler_name,
            help="'prodserver' serves Django with prodserver's ASGI handler: a request for a "
            "sync view runs the sync middleware chain and the view in one thread hand-off. "
            "'django' (the default) serves Django's own handler.",
        ),
        ServerOption(
            SYNC_THREADS,
            takes_value=True,
            validate=check_thread_count,
            help="Threads per process that sync views run in under the 'prodserver' "
            f"asgi-handler; requests beyond them wait for a free one. Default {DEFAULT_THREADS}.",
        ),
    ],
)


def refused_under_wsgi(asgi_backend: str) -> dict[str, Refusal]:
    """Advice for the handler's options on a backend that serves ``WSGI_APPLICATION``."""
    refusal = Refusal(
        "chooses Django's ASGI handler, and this backend serves WSGI_APPLICATION",
        f"remove it, or use {asgi_backend} to serve ASGI_APPLICATION",
    )
    return {ASGI_HANDLER: refusal, SYNC_THREADS: refusal}


@dataclass(frozen=True)
class HandlerChoice:
    """Which Django handler a process serves, and with how many threads for sync views."""

    threads: int | None = None

    @property
    def ours(self) -> bool:
        return self.threads is not None

    def target(self, application: str) -> str:
        """The import string the server is given for the project's ``application``."""
        return ENTRY_POINT if self.ours else application

    def environment(self, application: str) -> dict[str, str]:
        if not self.ours:
            return {}
        return {APPLICATION_VARIABLE: application, THREADS_VARIABLE: str(self.threads)}

    def described(self) -> str | None:
        """For the banner and ``--dry-run``."""
        if not self.ours:
            return None
        return f"prodserver's ASGI handler, {self.threads} threads for sync views"


def handler_choice(translated: TranslatedArgs) -> HandlerChoice:
    """The choice ARGS make, checked across the two options and the environment."""
    values = translated.values
    threads = values.get(SYNC_THREADS)
    if values.get(ASGI_HANDLER, "django") != "prodserver":
        if threads is not None:
            raise ConflictingOptionsError(
                translated.where(SYNC_THREADS),
                "sizes the thread pool of prodserver's ASGI handler, which is not on",
                f"add '{ASGI_HANDLER}': 'prodserver', or remove '{SYNC_THREADS}'",
            )
        return HandlerChoice()
    return HandlerChoice(int(str(threads)) if threads is not None else DEFAULT_THREADS)


def check_handler_environment() -> None:
    """``$PRODSERVER_SYNC_THREADS`` is set by prodserver for its servers; one already in the
    environment would size the pool of a project that calls our get_asgi_application()."""
    value = os.environ.get(THREADS_VARIABLE)
    if value is None:
        return
    try:
        check_thread_count(value)
    except InvalidValue as error:
        raise ServerEnvironmentError(
            (),
            error.problem,
            f"unset it, or give 1 or more (under prodserver, ARGS' '{SYNC_THREADS}' sets it)",
            setting=f"${THREADS_VARIABLE}",
        ) from error


def with_environment(environment: dict[str, str], argv: list[str]) -> list[str]:
    """``env NAME=value ... program args``: the command that runs ``argv`` by hand."""
    if not environment:
        return argv
    return ["env", *(f"{name}={value}" for name, value in environment.items()), *argv]
