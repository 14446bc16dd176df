from __future__ import annotations

ROOT_SETTING = "PRODUCTION_PROCESSES"


class ConfigurationError(Exception):
    """A mistake in the settings, found before any server starts.

    ``keys`` is the path inside ``setting``; it renders as
    ``PRODUCTION_PROCESSES['web']['ARGS']['port']``. The message is one line:
    where, what is wrong, and how to fix it.
    """

    def __init__(
        self, keys: tuple[str, ...], problem: str, fix: str, *, setting: str = ROOT_SETTING
    ) -> None:
        self.keys = keys
        self.problem = problem
        self.fix = fix
        self.setting = setting
        super().__init__(self.message)

    @property
    def location(self) -> str:
        return self.setting + "".join(f"[{key!r}]" for key in self.keys)

    @property
    def message(self) -> str:
        return f"{self.location}: {self.problem}; {self.fix}"

    def inside(self, *outer_keys: str) -> ConfigurationError:
        """The same error, located below ``outer_keys`` of the same setting."""
        if self.setting != ROOT_SETTING:
            return self
        relocated = ConfigurationError(
            (*outer_keys, *self.keys), self.problem, self.fix, setting=self.setting
        )
        relocated.__cause__ = self.__cause__
        return relocated


def quoted_list(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(repr(name) for name in names)
