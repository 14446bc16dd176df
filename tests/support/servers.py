"""Start real ``manage.py prodserver`` processes on free loopback ports and wait by polling."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PROJECT = REPO_ROOT / "example_project"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.05
#: What coverage.py passes to the processes it measures.
COVERAGE_VARIABLES = ("COVERAGE_", "COV_CORE_")


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with closing(socket.socket(family, socket.SOCK_STREAM)) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def prodserver_command(project: Path, *arguments: str) -> list[str]:
    return [
        sys.executable,
        str(project / "manage.py"),
        "prodserver",
        "--settings=tests.process_settings",
        *arguments,
    ]


def process_env(
    processes: Mapping[str, Any] | str, overrides: Mapping[str, Any] | None = None, **extra: str
) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    env["PRODSERVER_TEST_PROCESSES"] = json.dumps(processes)
    env["PRODSERVER_TEST_OVERRIDES"] = json.dumps(overrides or {})
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def run_prodserver(
    processes: Mapping[str, Any] | str,
    *arguments: str,
    overrides: Mapping[str, Any] | None = None,
    project: Path = EXAMPLE_PROJECT,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the command to completion (for commands that must not start a server)."""
    return subprocess.run(
        prodserver_command(project, *arguments),
        env=process_env(processes, overrides, **(env or {})),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(POLL_INTERVAL)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class ServerProcess:
    """One started ``prodserver`` process; output goes to a file so it can never block."""

    process: subprocess.Popen[bytes]
    log_path: Path
    base_url: str
    client_options: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str, **options: Any) -> httpx.Response:
        return httpx.get(self.url(path), **{"timeout": 5, **self.client_options, **options})

    def wait_ready(self, path: str = "/health/", timeout: float = READY_TIMEOUT) -> None:
        def answered() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.process.returncode} before serving:\n"
                    + self.output()
                )
            try:
                self.get(path)
            except httpx.TransportError:
                return False
            return True

        wait_for(answered, timeout, f"{self.url(path)} to answer")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"server did not stop within {timeout}s of signal {sig}:\n{self.output()}"
            ) from None

    def kill(self) -> None:
        """Kill the session this test started (the server and its own workers)."""
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)


class ServerFactory:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[ServerProcess] = []

    def start(
        self,
        processes: Mapping[str, Any],
        name: str | None = None,
        *,
        project: Path = EXAMPLE_PROJECT,
        scheme: str = "http",
        host: str = "127.0.0.1",
        port: int | None = None,
        client_options: dict[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        cwd: Path | None = None,
        wrapper: list[str] | None = None,
        extra_arguments: list[str] | None = None,
        pass_fds: tuple[int, ...] = (),
    ) -> ServerProcess:
        if port is None:
            port = _single_port(processes)
        log_path = self.log_dir / f"server-{len(self.started)}.log"
        arguments = [*([name] if name else []), *(extra_arguments or [])]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [*(wrapper or []), *prodserver_command(project, *arguments)],
                env=process_env(processes, overrides, **(env or {})),
                cwd=cwd or project,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=pass_fds,
            )
        shown_host = f"[{host}]" if ":" in host else host
        server = ServerProcess(
            process, log_path, f"{scheme}://{shown_host}:{port}", client_options or {}
        )
        self.started.append(server)
        return server

    def start_example(self, name: str, port: int) -> ServerProcess:
        """``manage.py prodserver NAME`` as the README runs it: the example project's own
        settings, from the repository root, on ``port`` (its settings read $PORT)."""
        return self.start_command(
            [sys.executable, "example_project/manage.py", "prodserver", name],
            port,
            cwd=REPO_ROOT,
            env={"PORT": str(port), "DJANGO_DATABASE_PATH": ":memory:"},
        )

    def start_command(
        self,
        command: list[str],
        port: int,
        cwd: Path,
        env: Mapping[str, str],
        *,
        group: str | None = None,
        base_url: str | None = None,
        measured: bool = True,
    ) -> ServerProcess:
        """Any server command, with DJANGO_SETTINGS_MODULE left for it to choose.

        ``measured=False`` keeps coverage out of the process (and its data file off a disk
        the test makes read-only)."""
        environment = {
            name: value
            for name, value in os.environ.items()
            if name != "DJANGO_SETTINGS_MODULE"
            and (measured or not name.startswith(COVERAGE_VARIABLES))
        }
        environment.update(env)
        log_path = self.log_dir / f"server-{len(self.started)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                group=group,
            )
        server = ServerProcess(process, log_path, base_url or f"http://127.0.0.1:{port}")
        self.started.append(server)
        return server

    def cleanup(self) -> None:
        for server in self.started:
            server.kill()


def _single_port(processes: Mapping[str, Any]) -> int:
    ports: set[int] = set()
    for entry in processes.values():
        args = entry["ARGS"]
        if "port" in args:
            ports.add(int(args["port"]))
        binds = args.get("bind", [])
        for bind in [binds] if isinstance(binds, str) else binds:
            ports.add(int(bind.rsplit(":", 1)[1]))
    assert len(ports) == 1, "pass port= when processes use several ports"
    return ports.pop()


def children_of(pid: int) -> set[int]:
    children: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            children.add(int(entry.name))
    return children


def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.cleanup()


def _tcp_sockets(port: int) -> Iterator[tuple[str, int]]:
    """(state, receive queue) of each socket bound to local ``port``, from /proc/net.

    For a listening socket the kernel reports its accept queue as the receive queue.
    """
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                yield fields[3], int(fields[4].split(":")[1], 16)


def established_connections(port: int) -> int:
    """Server-side TCP connections on ``port`` that the server has accepted.

    A connection still waiting in the listen backlog is ESTABLISHED to the kernel, but no
    worker holds it yet: a stopping server resets it. So those are left out.
    """
    established = waiting = 0
    for state, queue in _tcp_sockets(port):
        if state == "01":
            established += 1
        elif state == "0A":
            waiting += queue
    return established - waiting
