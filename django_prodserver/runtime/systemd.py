"""``sd_notify``: tell a ``Type=notify`` systemd service (or any manager listening on
``$NOTIFY_SOCKET``) that the server accepts connections."""

from __future__ import annotations

import os
import socket

READY = "READY=1"


def notify(*assignments: str) -> bool:
    """Send ``READY=1``-style lines; False when there is no manager to tell or it is gone."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(address)
            sock.sendall("\n".join(assignments).encode())
        except OSError:
            return False
    return True


def notify_ready(status: str) -> bool:
    return notify(READY, f"STATUS={status}", f"MAINPID={os.getpid()}")
