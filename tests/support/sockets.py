"""Sockets a service manager would hand a server, and clients that read back what the
server saw of them (the client address, above all)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import httpx

from .servers import free_port

#: A loopback address no server would make up, so that a client address seen by Django
#: cannot match it by accident.
CLIENT_ADDRESS = "127.0.0.5"
#: Starts a command as systemd starts a socket-activated service (see socket_activator.py).
ACTIVATOR = [sys.executable, "-m", "tests.support.socket_activator"]


def listening_tcp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", free_port()))
    sock.listen(128)
    return sock


def listening_unix_socket(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.listen(128)
    return sock


def request_info_over_tcp(port: int) -> dict[str, Any]:
    """GET /request-info/ from CLIENT_ADDRESS, an address no server would make up."""
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
    with httpx.Client(transport=transport, timeout=10) as client:
        response = client.get(f"http://127.0.0.1:{port}/request-info/")
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()
    return info


def request_info_over_unix(path: Path) -> dict[str, Any]:
    transport = httpx.HTTPTransport(uds=str(path))
    with httpx.Client(transport=transport, timeout=10) as client:
        response = client.get("http://localhost/request-info/")
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()
    return info
