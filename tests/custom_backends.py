"""Backends written the way users of the existing extension point write them."""

from __future__ import annotations

from typing import Any

from django_prodserver.backends.base import BaseServerBackend

started_with: list[tuple[str, ...]] = []


class RecordingServer(BaseServerBackend):
    """Overrides only prep_server_args() and start_server(), using self.args."""

    def prep_server_args(self) -> list[str]:
        return ["myapp.wsgi", *self.args]

    def start_server(self, *args: str) -> None:
        started_with.append(args)


def not_a_backend(**kwargs: Any) -> None:
    return None


class NotABackend:
    pass
