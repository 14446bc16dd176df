"""A typed face on asgiref's ApplicationCommunicator, for driving an ASGI application in
process: one request's messages in, the application's messages out."""

from __future__ import annotations

from typing import Any

from asgiref.testing import ApplicationCommunicator

Message = dict[str, Any]


class Communicator:
    def __init__(self, application: Any, scope: dict[str, Any]) -> None:
        self._communicator = ApplicationCommunicator(application, scope)  # type: ignore[no-untyped-call]

    async def send(self, message: Message) -> None:
        await self._communicator.send_input(message)  # type: ignore[no-untyped-call]

    async def receive(self, timeout: float) -> Message:
        message: Message = await self._communicator.receive_output(timeout)  # type: ignore[no-untyped-call]
        return message

    async def finished(self, timeout: float) -> None:
        """Wait for the application to return."""
        await self._communicator.wait(timeout)  # type: ignore[no-untyped-call]
