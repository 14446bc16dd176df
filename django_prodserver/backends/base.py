"""The extension point: every backend, ours or a project's own, subclasses BaseServerBackend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..options import OptionSchema
from ..redaction import redacted
from ..translation import TranslatedArgs, translate


@dataclass(frozen=True)
class ServerDescription:
    """What the start-up banner says about a server; None where a backend cannot tell."""

    binds: list[str] = field(default_factory=list)
    workers: str | None = None
    worker_class: str | None = None
    loop: str | None = None
    http: str | None = None


class BaseServerBackend:
    """A server started by ``manage.py prodserver``.

    ``__init__`` receives the process's configuration (``BACKEND`` and ``ARGS``) and
    translates ``ARGS`` into ``self.args``. ``prep_server_args()`` returns the full
    argument list and ``start_server(*args)`` runs the server with it, in this process.

    A backend whose ``option_schema()`` returns a schema gets every key and value
    checked against it; without one, ``ARGS`` become ``--key=value`` as given.
    Raise ``ConfigurationError`` from ``validate()`` or ``preflight()`` for a mistake.
    """

    #: The program the argument list is for, as shown by ``prodserver --list``.
    program: ClassVar[str] = ""
    #: The server's keep-alive option and its default in seconds, for the deploy checks.
    keep_alive: ClassVar[tuple[str, int] | None] = None

    def __init__(self, **server_args: Any) -> None:
        self.server_args = server_args
        arguments: Mapping[str, Any] = server_args.get("ARGS") or {}
        self.translated: TranslatedArgs = self.translate_arguments(arguments)
        self.args: list[str] = self.translated.argv
        self.validate()

    @classmethod
    def option_schema(cls) -> OptionSchema | None:
        return None

    def translate_arguments(self, arguments: Mapping[str, Any]) -> TranslatedArgs:
        return translate(arguments, self.option_schema())

    def validate(self) -> None:
        """Checks across several options, run once ARGS are translated."""

    def preflight(self) -> None:
        """Checks against this machine (is the port free?), run just before start."""

    def prep_server_args(self) -> list[str]:
        return list(self.args)

    def start_server(self, *args: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement start_server()")

    def command_line(self, redact: bool = False) -> list[str]:
        """The equivalent command, program first; secret values masked when ``redact``."""
        argv = [self.program or type(self).__name__, *self.prep_server_args()]
        return redacted(argv) if redact else argv

    def describe(self) -> ServerDescription:
        return ServerDescription()
