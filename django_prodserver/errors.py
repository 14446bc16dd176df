"""The ConfigurationError family: every mistake found before a server starts, as one line
(where: problem; fix), with the id of the system check that reports it."""

from __future__ import annotations

ROOT_SETTING = "PRODUCTION_PROCESSES"


class ConfigurationError(Exception):
    """A mistake in the settings, found before any server starts. Each kind of mistake is a
    subclass with the id of the system check that reports it.

    ``keys`` is the path inside ``setting``; it renders as
    ``PRODUCTION_PROCESSES['web']['ARGS']['port']``. The message is one line:
    where, what is wrong, and how to fix it.
    """

    check_id = "prodserver.E001"

    def __init__(
        self, keys: tuple[str, ...], problem: str, fix: str, *, setting: str = ROOT_SETTING
    ) -> None:
        self.keys = keys
        self.problem = one_line(problem)
        self.fix = one_line(fix)
        self.setting = setting
        super().__init__(self.message)

    @property
    def location(self) -> str:
        return one_line(self.setting + "".join(f"[{key!r}]" for key in self.keys))

    @property
    def message(self) -> str:
        return f"{self.location}: {self.problem}; {self.fix}"

    def on_command_line(self, process: str, option: str) -> ConfigurationError:
        """The same error, located at a ``prodserver NAME -- --option`` override rather than
        in the setting (the option was given on the command line)."""
        relocated = type(self)(
            (), self.problem, self.fix, setting=f"prodserver {process} -- {option}"
        )
        relocated.__cause__ = self.__cause__
        return relocated

    def inside(self, *outer_keys: str) -> ConfigurationError:
        """The same error, located below ``outer_keys`` of the same setting."""
        if self.setting != ROOT_SETTING:
            return self
        relocated = type(self)(
            (*outer_keys, *self.keys), self.problem, self.fix, setting=self.setting
        )
        relocated.__cause__ = self.__cause__
        return relocated


class BackendError(ConfigurationError):
    """BACKEND cannot be imported, is not a server backend, or its server is not installed."""

    check_id = "prodserver.E002"


class UnknownOptionError(ConfigurationError):
    check_id = "prodserver.E003"


class InvalidValueError(ConfigurationError):
    check_id = "prodserver.E004"


class ConflictingOptionsError(ConfigurationError):
    """Options that cannot go together (reload with workers, one option set twice, ...)."""

    check_id = "prodserver.E005"


class ApplicationError(ConfigurationError):
    """ASGI_APPLICATION or WSGI_APPLICATION missing or not importable."""

    check_id = "prodserver.E006"


class TLSFilesError(ConfigurationError):
    check_id = "prodserver.E007"


class ServerEnvironmentError(ConfigurationError):
    """The server's own environment variables (UVICORN_*) hold a value it rejects."""

    check_id = "prodserver.E008"

    @classmethod
    def from_parser(cls, error: Exception, program: str, prefix: str) -> ServerEnvironmentError:
        """The program's own parser refused what its ``PREFIX_*`` variables set."""
        format_message = getattr(error, "format_message", None)
        message = format_message() if callable(format_message) else str(error)
        return cls(
            (),
            str(message).rstrip("."),
            f"options ARGS leave unset are read from {prefix}_* environment variables: "
            "fix or unset the variable, or set the option in ARGS",
            setting=program,
        )


def quoted_list(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(repr(name) for name in names)


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``), since a
    message quotes values (a path, a key) that may hold them, and must stay one line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
