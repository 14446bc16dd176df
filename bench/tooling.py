"""What every bench script needs: its tools installed, free ports, servers started and
stopped by PID, and wrk's throughput."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
READY_TIMEOUT = 30.0
CPU_COUNT = os.cpu_count() or 1


def pinned(command: list[str], load_generator: bool = False) -> list[str]:
    """On two or more CPUs, keep the load generator on the last CPU and servers off it, so
    that they measure the server rather than their fight for the same core."""
    taskset = shutil.which("taskset")
    if CPU_COUNT < 2 or taskset is None:
        return command
    cpus = str(CPU_COUNT - 1) if load_generator else f"0-{CPU_COUNT - 2}"
    return [taskset, "-c", cpus, *command]


def ensure_wrk() -> str:
    """wrk, from Debian's package when it is not installed yet."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is needed: install it (Debian: apt-get install wrk) and run again")
    install = ["apt-get", "install", "-y", "wrk"]
    quiet = subprocess.DEVNULL
    if subprocess.run(install, stdout=quiet, stderr=quiet, check=False).returncode:
        subprocess.run(["apt-get", "update"], stdout=quiet, stderr=quiet, check=True)
        subprocess.run(install, stdout=quiet, stderr=quiet, check=True)
    return shutil.which("wrk") or sys.exit("wrk did not install")


def ensure_python_packages(*requirements: str) -> None:
    """``module=requirement`` pairs: pip-install the requirement when the module is missing."""
    missing = [
        requirement
        for module, _, requirement in (item.partition("=") for item in requirements)
        if importlib.util.find_spec(module) is None
    ]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {READY_TIMEOUT}s")


@contextmanager
def running(
    command: list[str], url: str, env: Mapping[str, str] | None = None, cwd: Path = BENCH_DIR
) -> Iterator[subprocess.Popen[bytes]]:
    """A server started in its own session, ready, and stopped by its PID afterwards."""
    process = subprocess.Popen(
        pinned(command),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_serving(url, process)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wrk_requests_per_second(
    wrk: str, url: str, seconds: int, connections: int = 64, threads: int = 1
) -> float:
    output = subprocess.run(
        pinned(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", url], load_generator=True
        ),
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        raise RuntimeError(f"no throughput in wrk's output:\n{output}")
    if re.search(r"Non-2xx or 3xx responses: \d+", output):
        raise RuntimeError(f"the server answered errors under load:\n{output}")
    return float(match.group(1))
