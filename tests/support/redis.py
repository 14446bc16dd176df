"""A real Redis for the Celery and RQ tests: Debian's redis-server, installed or unpacked
(with the two libraries it links), started on a free loopback port with no persistence."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .debian import unpack
from .servers import free_port, wait_for

DEBIAN_PACKAGES = ("redis-server", "redis-tools", "liblzf1", "libjemalloc2")
UNPACKED = Path(tempfile.gettempdir()) / "django-prodserver-redis"


@dataclass(frozen=True)
class RedisBinary:
    path: Path
    env: dict[str, str]


def find_redis() -> RedisBinary | str:
    """redis-server from the system, or Debian's package unpacked; a reason to skip when
    neither is possible."""
    installed = shutil.which("redis-server", path=os.pathsep.join([os.environ["PATH"], "/usr/bin"]))
    if installed:
        return RedisBinary(Path(installed), {})
    binary = UNPACKED / "usr/bin/redis-server"
    if not binary.exists():
        reason = unpack(DEBIAN_PACKAGES, UNPACKED)
        if reason:
            return reason
    libraries = sorted(str(path.parent) for path in UNPACKED.glob("usr/lib/*/libjemalloc.so*"))
    return RedisBinary(binary, {"LD_LIBRARY_PATH": os.pathsep.join(libraries[:1])})


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        assert self.process.poll() is None, "redis-server exited"
        try:
            with closing(socket.create_connection(("127.0.0.1", self.port), timeout=1)) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def running_redis(binary: RedisBinary, directory: Path) -> Iterator[RedisServer]:
    port = free_port()
    command = [
        str(binary.path),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--daemonize", "no",
    ]  # fmt: skip
    with open(directory / "redis.log", "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **binary.env},
            start_new_session=True,
        )
    server = RedisServer(port, process)
    try:
        wait_for(server.answers, 30, "redis-server to answer PING")
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
