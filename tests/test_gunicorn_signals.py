"""Every gunicorn arbiter signal, sent to a real ``prodserver`` GunicornUvicornServer."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from .support.gunicorn import TEST_APP, gunicorn_process
from .support.servers import (
    ServerFactory,
    ServerProcess,
    children_of,
    established_connections,
    wait_for,
)

pytestmark = [pytest.mark.server, pytest.mark.server_matrix]


def workers_of(server: ServerProcess) -> set[int]:
    return children_of(server.pid)


def fresh_get(server: ServerProcess, path: str) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to any worker."""
    return server.get(path, headers={"Connection": "close"})


def test_hup_serves_changed_code_and_keeps_uvicorn_options(
    servers: ServerFactory, project_copy: Path
) -> None:
    processes = gunicorn_process({"workers": 2, "header": "X-Option:kept"})
    server = servers.start(processes, "web", project=project_copy)
    server.wait_ready("/hello/")
    assert server.get("/hello/").text == "hello"
    views = project_copy / "example_project" / "views.py"
    views.write_text(views.read_text().replace('HttpResponse("hello"', 'HttpResponse("edited"'))
    old_workers = workers_of(server)

    os.kill(server.pid, signal.SIGHUP)

    wait_for(lambda: fresh_get(server, "/hello/").text == "edited", 20, "the edited view")
    wait_for(lambda: not workers_of(server) & old_workers, 20, "the old workers to leave")
    response = fresh_get(server, "/hello/")
    assert response.headers["x-option"] == "kept"
    assert server.stop() == 0


def test_ttin_and_ttou_change_the_worker_count(servers: ServerFactory) -> None:
    server = servers.start(
        gunicorn_process({"workers": 2, "header": "X-Option:kept"}), "web", overrides=TEST_APP
    )
    server.wait_ready("/")
    wait_for(lambda: len(workers_of(server)) == 2, 10, "two workers")
    original = workers_of(server)

    os.kill(server.pid, signal.SIGTTIN)
    wait_for(lambda: len(workers_of(server)) == 3, 10, "a third worker")
    (added,) = workers_of(server) - original
    seen: dict[int, httpx.Response] = {}

    def added_worker_answered() -> bool:
        response = fresh_get(server, "/scope")
        seen[response.json()["pid"]] = response
        return added in seen

    wait_for(added_worker_answered, 20, "the added worker to answer")
    assert seen[added].headers["x-option"] == "kept"

    os.kill(server.pid, signal.SIGTTOU)
    wait_for(lambda: len(workers_of(server)) == 2, 10, "back to two workers")
    assert server.stop() == 0


def test_usr1_reopens_log_files(servers: ServerFactory, tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    server = servers.start(
        gunicorn_process({"access-logfile": str(access)}), "web", overrides=TEST_APP
    )
    server.wait_ready("/")
    server.get("/scope?before=rotation")
    wait_for(lambda: "before=rotation" in access.read_text(), 5, "the first access line")
    access.rename(tmp_path / "access.log.1")

    os.kill(server.pid, signal.SIGUSR1)

    attempts: list[str] = []

    def logged_to_the_new_file() -> bool:
        # Each attempt has its own marker: an attempt made before the worker reopened its
        # files is written to the renamed one, as it should be.
        attempts.append(f"after=rotation-{len(attempts)}")
        server.get(f"/scope?{attempts[-1]}")
        return access.exists() and attempts[-1] in access.read_text()

    wait_for(logged_to_the_new_file, 10, "access lines in the reopened file")
    assert attempts[-1] not in (tmp_path / "access.log.1").read_text()
    assert server.stop() == 0


def process_exists(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_usr2_then_winch_then_quit_upgrades_while_serving(
    servers: ServerFactory, tmp_path: Path
) -> None:
    settings_file = tmp_path / "processes.json"
    processes = gunicorn_process({"workers": 2, "header": "X-Generation:1"})
    settings_file.write_text(json.dumps(processes))
    server = servers.start(
        processes,
        "web",
        overrides=TEST_APP,
        env={"PRODSERVER_TEST_PROCESSES_FILE": str(settings_file)},
    )
    server.wait_ready("/")
    old_master = server.pid
    old_workers = workers_of(server)
    processes["web"]["ARGS"]["header"] = "X-Generation:2"
    settings_file.write_text(json.dumps(processes))

    failures = 0
    stop_load = threading.Event()

    def keep_requesting() -> None:
        nonlocal failures
        for _ in range(2000):
            if stop_load.is_set():
                return
            try:
                fresh_get(server, "/")
            except httpx.HTTPError:
                failures += 1

    load = threading.Thread(target=keep_requesting)
    load.start()
    try:
        os.kill(old_master, signal.SIGUSR2)
        new_master: list[int] = []

        def new_master_serving() -> bool:
            for pid in children_of(old_master) - old_workers:
                if len(children_of(pid)) == 2:
                    new_master[:] = [pid]
                    return True
            return False

        wait_for(new_master_serving, 30, "the new master and its workers")
        os.kill(old_master, signal.SIGWINCH)
        wait_for(lambda: not (children_of(old_master) & old_workers), 20, "the old workers to stop")
        os.kill(old_master, signal.SIGQUIT)
        assert server.process.wait(10) == 0
        assert fresh_get(server, "/").headers["x-generation"] == "2"
    finally:
        stop_load.set()
        load.join()
    assert failures == 0
    (master,) = new_master
    os.kill(master, signal.SIGTERM)
    wait_for(lambda: not process_exists(master), 10, "the new master to stop")


def in_flight(
    server: ServerProcess, count: int, seconds: float
) -> tuple[list[threading.Thread], list[Any]]:
    results: list[Any] = []

    def request() -> None:
        try:
            results.append(server.get(f"/slow?seconds={seconds}", timeout=seconds + 30).status_code)
        except httpx.HTTPError as error:
            results.append(type(error).__name__)

    threads = [threading.Thread(target=request) for _ in range(count)]
    for thread in threads:
        thread.start()
    port = int(server.base_url.rsplit(":", 1)[1])
    wait_for(lambda: established_connections(port) >= count, 10, f"{count} requests in flight")
    return threads, results


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT], ids=["INT", "QUIT"])
def test_int_and_quit_stop_fast(servers: ServerFactory, sig: int) -> None:
    server = servers.start(
        gunicorn_process({"workers": 2, "graceful-timeout": 30}), "web", overrides=TEST_APP
    )
    server.wait_ready("/")
    # Both workers started: a signal the master gets while it is still forking one is not
    # passed to that worker (a gunicorn race), which it would then wait out for 30 s.
    wait_for(lambda: server.output().count("Application startup complete.") >= 2, 20, "two workers")
    threads, results = in_flight(server, 2, 30)
    assert server.stop(sig, timeout=5) == 0
    for thread in threads:
        thread.join()
    assert 200 not in results


def test_workers_stop_when_the_master_is_killed(servers: ServerFactory) -> None:
    """A master killed by SIGKILL (the OOM killer) leaves no worker serving on its own: each
    sees its parent change at the next heartbeat and shuts down."""
    server = servers.start(gunicorn_process({"workers": 2, "timeout": 2}), "web")
    server.wait_ready("/health/")
    wait_for(lambda: len(workers_of(server)) == 2, 10, "two workers")
    workers = workers_of(server)

    os.kill(server.pid, signal.SIGKILL)
    server.process.wait(10)

    def all_gone() -> bool:
        return not any(Path(f"/proc/{pid}").exists() for pid in workers)

    wait_for(all_gone, 20, "the orphaned workers to stop")
    assert "Parent changed, shutting down" in server.output()
