"""What every bench script needs: its tools installed, free ports, servers started and
stopped by PID, and wrk's throughput."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
EXAMPLE_PROJECT = REPO_ROOT / "example_project"
RESULTS_DIR = BENCH_DIR / "results"
POLL_INTERVAL = 0.005
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


def project_env(processes: Mapping[str, object]) -> dict[str, str]:
    """The example project, with these PRODUCTION_PROCESSES (bench_settings.py)."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PRODSERVER_BENCH_PROCESSES": json.dumps(processes),
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(EXAMPLE_PROJECT)]),
        "DJANGO_DATABASE_PATH": ":memory:",
        # The programs `--dry-run` prints (uvicorn, gunicorn) are this interpreter's.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }


def prodserver_command(name: str) -> list[str]:
    return [sys.executable, "manage.py", "prodserver", name]


def by_hand_command(name: str, env: Mapping[str, str]) -> list[str]:
    """The shell command ``prodserver NAME --dry-run`` prints: the same server by hand."""
    printed = subprocess.run(
        [*prodserver_command(name), "--dry-run"],
        cwd=EXAMPLE_PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return shlex.split(printed)


@dataclass(frozen=True)
class Launched:
    pid: int
    startup_seconds: float


@contextmanager
def launched(
    command: list[str], url: str, env: Mapping[str, str], cwd: Path = EXAMPLE_PROJECT
) -> Iterator[Launched]:
    """Start a server, wait for its first 200 from ``url``, and stop it (by PID) after."""
    started = time.perf_counter()
    process = subprocess.Popen(
        pinned(command),
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield Launched(process.pid, _first_200(process, url, started))
    finally:
        stop(process)


def _first_200(process: subprocess.Popen[bytes], url: str, started: float) -> float:
    while time.perf_counter() - started < READY_TIMEOUT:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        remaining = READY_TIMEOUT - (time.perf_counter() - started)
        try:
            # A connection may wait in the listen backlog until a worker takes it.
            with urllib.request.urlopen(url, timeout=max(remaining, 0.1)) as reply:
                if reply.status == 200:
                    return time.perf_counter() - started
        except OSError:  # refused, reset, or timed out
            time.sleep(POLL_INTERVAL)
    raise RuntimeError(f"{process.args!r} did not answer {url} within {READY_TIMEOUT}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def process_tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        tree += children
        frontier = children
    return tree


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes, from /proc (exited ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def medians(results: Mapping[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) for name, values in results.items() if values}


@dataclass(frozen=True)
class Ratio:
    """The median of per-round ratios (each round measures both sides back to back, so
    drift in the machine's speed cancels out), and their range."""

    median: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.median:.3f} ({self.low:.2f} to {self.high:.2f})"


def paired_ratio(ours: list[float], theirs: list[float]) -> Ratio:
    ratios = [mine / other for mine, other in zip(ours, theirs, strict=True)]
    return Ratio(statistics.median(ratios), min(ratios), max(ratios))
