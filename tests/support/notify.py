"""The listening end of ``sd_notify``, as a ``Type=notify`` service manager has it."""

from __future__ import annotations

import socket
from pathlib import Path

from .servers import wait_for


class NotifyListener:
    """The datagram socket a ``Type=notify`` service manager listens on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)
        self.messages: list[dict[str, str]] = []

    def received(self) -> list[dict[str, str]]:
        while True:
            try:
                datagram = self.sock.recv(4096)
            except BlockingIOError:
                return self.messages
            fields = (line.split("=", 1) for line in datagram.decode().splitlines())
            self.messages.append({key: value for key, value in fields})

    def wait_ready(self, timeout: float = 30) -> dict[str, str]:
        def ready() -> bool:
            return any(message.get("READY") == "1" for message in self.received())

        wait_for(ready, timeout, "READY=1 on NOTIFY_SOCKET")
        return next(message for message in self.messages if message.get("READY") == "1")
