"""Every file in example_project/deploy/, run for real: the Dockerfile's CMD on a read-only
filesystem, the systemd units with socket activation, nginx in front over a UNIX socket
and in front of two instances, supervisor and circus handing over the socket, and the
Kubernetes probes and grace period."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from websockets.sync.client import connect

from .support import containers
from .support.endpoints import ReadinessController
from .support.load import BoundedLoad
from .support.nginx import Nginx, NginxProcess, find_nginx
from .support.notify import NotifyListener
from .support.servers import (
    EXAMPLE_PROJECT,
    REPO_ROOT,
    ServerFactory,
    ServerProcess,
    free_port,
    wait_for,
)
from .support.sockets import ACTIVATOR, CLIENT_ADDRESS, listening_unix_socket

DEPLOY = EXAMPLE_PROJECT / "deploy"
APP_ROOT = "/srv/app"
VENV_PYTHON = "/srv/app/.venv/bin/python"
GRACEFUL_TIMEOUT = 20
LOAD_SECONDS_LIMIT = 90

# Recipes, not server versions: run once, in the main environment.
pytestmark = [pytest.mark.server, pytest.mark.server_matrix]


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"the recipe no longer contains {old!r}"
    return text.replace(old, new)


def example_env(**extra: str) -> dict[str, str]:
    return {"DJANGO_DATABASE_PATH": ":memory:", **extra}


def running_as_root_with_www_data() -> bool:
    if os.geteuid() != 0:
        return False
    try:
        pwd.getpwnam("www-data")
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def nginx() -> Nginx:
    found = find_nginx()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture
def shared_directory() -> Iterator[Path]:
    """A directory nginx's unprivileged workers can reach (pytest's own is private)."""
    directory = Path(tempfile.mkdtemp(prefix="prodserver-deploy-", dir="/tmp"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


# --- Docker -----------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    return containers.dockerfile_instructions(DEPLOY / "Dockerfile")


def dockerfile_env() -> dict[str, str]:
    return containers.dockerfile_env(DEPLOY / "Dockerfile")


def read_only_root() -> list[str]:
    return containers.read_only_root(EXAMPLE_PROJECT)


def test_dockerfile_cmd_serves_on_a_read_only_root(servers: ServerFactory) -> None:
    instructions = dict(dockerfile_instructions())
    command = json.loads(instructions["CMD"])
    assert command == ["python", "manage.py", "prodserver", "web"]
    assert instructions["USER"] not in ("root", "0")
    assert instructions["WORKDIR"] == "/app"  # where the example project is copied
    port = free_port()
    # Loopback instead of the container's 0.0.0.0: tests bind nothing else.
    env = {**dockerfile_env(), "HOST": "127.0.0.1", "PORT": str(port)}
    server = servers.start_command(
        [*read_only_root(), sys.executable, *command[1:]],
        port,
        cwd=EXAMPLE_PROJECT,
        env=env,
        measured=False,
    )
    server.wait_ready()
    assert server.get("/sync/").json()["view"] == "sync"
    assert server.stop() == 0
    assert "read-only file system" not in server.output().lower()


# --- systemd ----------------------------------------------------------------------------


def unit_settings(name: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def exec_start_command() -> tuple[list[str], Path, dict[str, str]]:
    """The service's ExecStart, WorkingDirectory and Environment, on this checkout."""
    service = unit_settings("prodserver.service")
    (exec_start,) = service["ExecStart"]
    command = shlex.split(exec_start)
    assert command[0] == VENV_PYTHON
    (working_directory,) = service["WorkingDirectory"]
    directory = Path(working_directory.replace(APP_ROOT, str(REPO_ROOT)))
    env = dict(assignment.split("=", 1) for assignment in service["Environment"])
    return [sys.executable, *command[1:]], directory, env


def test_systemd_service_with_its_socket_unit(
    servers: ServerFactory, notify_listener: NotifyListener, tmp_path: Path
) -> None:
    socket_unit = unit_settings("prodserver.socket")
    assert socket_unit["ListenStream"] == ["/run/prodserver/web.sock"]
    service = unit_settings("prodserver.service")
    assert service["Type"] == ["notify"]
    assert int(service["TimeoutStopSec"][0]) > GRACEFUL_TIMEOUT
    command, directory, env = exec_start_command()
    path = tmp_path / "web.sock"
    with listening_unix_socket(path) as listener:
        env.update(example_env(NOTIFY_SOCKET=str(notify_listener.path), PYTHONPATH=str(REPO_ROOT)))
        log = tmp_path / "service.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [*ACTIVATOR, str(listener.fileno()), *command],
                cwd=directory,
                env={**os.environ, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
                start_new_session=True,
            )
    server = ServerProcess(process, log, "http://localhost")
    servers.started.append(server)
    notify_listener.wait_ready()
    transport = httpx.HTTPTransport(uds=str(path))
    with httpx.Client(transport=transport, timeout=10) as client:
        info = client.get(
            "http://localhost/request-info/",
            headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        ).json()
    assert (info["client"], info["scheme"]) == ("203.0.113.7", "https")
    assert server.stop() == 0
    assert path.exists(), "the socket unit's socket outlives the service"


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for name in ("prodserver.socket", "prodserver.service"):
        text = (DEPLOY / "systemd" / name).read_text()
        # The units name the deployed paths; verify checks that the program exists.
        (tmp_path / name).write_text(text.replace(VENV_PYTHON, sys.executable))
    result = subprocess.run(
        [
            analyze,
            "verify",
            "--man=no",
            str(tmp_path / "prodserver.socket"),
            str(tmp_path / "prodserver.service"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "prodserver" not in result.stderr, result.stderr


# --- nginx ------------------------------------------------------------------------------


def nginx_config(
    shared: Path, nginx: Nginx, socket_path: Path, static_root: Path, certificate: Any
) -> tuple[str, int, int]:
    http_port, https_port = free_port(), free_port()
    config = (DEPLOY / "nginx.conf").read_text()
    if not running_as_root_with_www_data():
        config = replaced(config, "user www-data;\n", "")
    for old, new in [
        ("pid /run/nginx.pid;", f"pid {shared}/nginx.pid;"),
        ("/var/log/nginx/error.log", f"{shared}/error.log"),
        ("/var/log/nginx/access.log", f"{shared}/access.log"),
        ("/etc/nginx/mime.types", str(nginx.mime_types)),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("/etc/ssl/certs/example.com.pem", certificate["cert"]),
        ("/etc/ssl/private/example.com.key", certificate["key"]),
        ("unix:/run/prodserver/web.sock", f"unix:{socket_path}"),
        ("/srv/app/example_project/staticfiles/", f"{static_root}/"),
    ]:
        config = replaced(config, old, new)
    return config, http_port, https_port


@pytest.fixture
def behind_nginx(
    servers: ServerFactory,
    nginx: Nginx,
    shared_directory: Path,
    tls_files: dict[str, Path],
) -> Iterator[dict[str, Any]]:
    """The "web-behind-nginx" process on its UNIX socket (mode 660, group www-data when
    the tests run as root), and the documented nginx.conf in front of it."""
    static_root = shared_directory / "static"
    socket_path = shared_directory / "web.sock"
    env = example_env(DJANGO_STATIC_ROOT=str(static_root), PRODSERVER_SOCKET=str(socket_path))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=EXAMPLE_PROJECT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings", **env},
        check=True,
        timeout=120,
    )
    group = "www-data" if running_as_root_with_www_data() else None
    server = servers.start_command(
        [sys.executable, "manage.py", "prodserver", "web-behind-nginx"],
        0,
        cwd=EXAMPLE_PROJECT,
        env=env,
        group=group,
    )
    wait_for(socket_path.exists, 30, "the server's socket")
    certificate = {
        "cert": str(shared_directory / "cert.pem"),
        "key": str(shared_directory / "key.pem"),
    }
    shutil.copy(tls_files["cert"], certificate["cert"])
    shutil.copy(tls_files["key"], certificate["key"])
    config, http_port, https_port = nginx_config(
        shared_directory, nginx, socket_path, static_root, certificate
    )
    proxy = NginxProcess(nginx, config, shared_directory)
    proxy.wait_listening(shared_directory / "nginx.pid")
    try:
        yield {
            "server": server,
            "http": f"http://127.0.0.1:{http_port}",
            "https": f"https://127.0.0.1:{https_port}",
            "ca": str(tls_files["ca"]),
            "socket": socket_path,
            "proxy": proxy,
        }
    finally:
        proxy.stop()


def client_from(address: str, **options: Any) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address, **options)
    return httpx.Client(transport=transport, timeout=30)


def wait_proxied(base_url: str, **options: Any) -> None:
    def answered() -> bool:
        try:
            return httpx.get(base_url + "/health/", timeout=5, **options).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(answered, 30, "nginx to reach prodserver")


def test_nginx_passes_client_address_and_scheme(behind_nginx: dict[str, Any]) -> None:
    wait_proxied(behind_nginx["http"])
    mode = os.stat(behind_nginx["socket"]).st_mode & 0o777
    assert mode == 0o660
    with client_from(CLIENT_ADDRESS) as client:
        plain = client.get(behind_nginx["http"] + "/request-info/").json()
    verify = ssl.create_default_context(cafile=behind_nginx["ca"])
    with client_from(CLIENT_ADDRESS, verify=verify) as client:
        secure = client.get(behind_nginx["https"] + "/request-info/").json()
    assert (plain["client"], plain["scheme"]) == (CLIENT_ADDRESS, "http")
    assert (secure["client"], secure["scheme"]) == (CLIENT_ADDRESS, "https")


def test_nginx_serves_static_files_itself(behind_nginx: dict[str, Any]) -> None:
    wait_proxied(behind_nginx["http"])
    response = httpx.get(behind_nginx["http"] + "/static/example_project/site.css", timeout=10)
    assert response.status_code == 200
    source = EXAMPLE_PROJECT / "example_project/static/example_project/site.css"
    assert response.content == source.read_bytes()
    assert "text/css" in response.headers["content-type"]


def test_websocket_echo_through_nginx(behind_nginx: dict[str, Any]) -> None:
    wait_proxied(behind_nginx["http"])
    url = behind_nginx["http"].replace("http://", "ws://") + "/ws/echo/"
    with connect(url, open_timeout=10) as websocket:
        websocket.send("through nginx")
        assert websocket.recv(timeout=10) == "through nginx"


def test_ten_megabyte_upload_arrives_intact(behind_nginx: dict[str, Any]) -> None:
    wait_proxied(behind_nginx["http"])
    body = os.urandom(10 * 1024 * 1024)
    response = httpx.post(
        behind_nginx["http"] + "/upload/",
        content=body,
        headers={"Content-Type": "application/octet-stream"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_scale_out_restarts_one_instance_at_a_time_without_failures(
    servers: ServerFactory, nginx: Nginx, shared_directory: Path
) -> None:
    port, proxy_port = free_port(), free_port()
    config = scale_out_config(shared_directory, port, proxy_port)

    def start(host: str) -> ServerProcess:
        server = servers.start_command(
            [sys.executable, "manage.py", "prodserver", "web"],
            port,
            cwd=EXAMPLE_PROJECT,
            env=example_env(HOST=host, PORT=str(port)),
            base_url=f"http://{host}:{port}",
        )
        server.wait_ready()
        return server

    instances = {host: start(host) for host in ("127.0.0.2", "127.0.0.3")}
    proxy = NginxProcess(nginx, config, shared_directory)
    try:
        proxy.wait_listening(shared_directory / "nginx.pid")
        with BoundedLoad(
            f"http://127.0.0.1:{proxy_port}/request-info/", seconds_limit=LOAD_SECONDS_LIMIT
        ) as load:
            load.wait_for_more(200)
            for host in list(instances):
                assert instances[host].stop() == 0
                load.wait_for_more(100)  # served by the other instance alone
                instances[host] = start(host)
                load.wait_for_more(200)
        assert load.failures == [], load.failures[:5]
        assert load.succeeded >= 1000
    finally:
        proxy.stop()
    for server in instances.values():
        assert server.stop() == 0


def scale_out_config(shared_directory: Path, port: int, proxy_port: int) -> str:
    """The scale-out recipe with this test's ports and files."""
    config = (DEPLOY / "nginx-scale-out.conf").read_text()
    for old, new in [
        ("pid /run/nginx.pid;", f"pid {shared_directory}/nginx.pid;"),
        ("/var/log/nginx/error.log", f"{shared_directory}/error.log"),
        ("127.0.0.2:8000", f"127.0.0.2:{port}"),
        ("127.0.0.3:8000", f"127.0.0.3:{port}"),
        ("listen 80;", f"listen 127.0.0.1:{proxy_port};"),
    ]:
        config = replaced(config, old, new)
    return config


#: What the scale-out recipe retries on another instance; a Kubernetes Service (kube-proxy)
#: retries nothing.
RETRIES = "proxy_next_upstream error timeout http_502 http_503;"


def sigterm_one_of_two_behind_nginx(
    servers: ServerFactory,
    nginx: Nginx,
    shared_directory: Path,
    drain_delay: str,
    retries: bool = True,
) -> tuple[BoundedLoad, BoundedLoad, int]:
    """Two instances of the example's ``web`` behind the scale-out nginx, which sends only
    to instances whose readiness path answers 200 (as Kubernetes' endpoints would). Under a
    load of GETs and POSTs, SIGTERM one of them and let it stop. Returns both loads and how
    often nginx was reloaded.

    The clients open a connection per request. Each reload has nginx's old workers close
    their idle client connections, and a request sent on one just then fails
    ("Server disconnected without sending a response"), about one run in five: a
    property of reloading nginx, the stand-in for the endpoints controller here, not of
    the instance being drained (a Kubernetes Service reloads nothing)."""
    port, proxy_port = free_port(), free_port()
    config = scale_out_config(shared_directory, port, proxy_port)
    if not retries:
        config = replaced(config, RETRIES, "proxy_next_upstream off;")

    def start(host: str) -> ServerProcess:
        env = example_env(HOST=host, PORT=str(port), DRAIN_DELAY=drain_delay)
        server = servers.start_command(
            [sys.executable, "manage.py", "prodserver", "web"],
            port,
            cwd=EXAMPLE_PROJECT,
            env=env,
            base_url=f"http://{host}:{port}",
        )
        server.wait_ready("/readyz")
        return server

    instances = [start(host) for host in ("127.0.0.2", "127.0.0.3")]
    proxy = NginxProcess(nginx, config, shared_directory)
    front = f"http://127.0.0.1:{proxy_port}"
    try:
        proxy.wait_listening(shared_directory / "nginx.pid")
        with (
            ReadinessController(proxy, "/readyz") as controller,
            BoundedLoad(
                f"{front}/request-info/", keep_alive=False, seconds_limit=LOAD_SECONDS_LIMIT
            ) as gets,
            BoundedLoad(
                f"{front}/upload/",
                body=b"x" * 2048,
                keep_alive=False,
                seconds_limit=LOAD_SECONDS_LIMIT,
            ) as posts,
        ):
            gets.wait_for_more(200)
            posts.wait_for_more(200)
            assert instances[0].stop() == 0
            gets.wait_for_more(200)  # served by the other instance alone
            posts.wait_for_more(200)
            reloads = controller.reloads
    finally:
        proxy.stop()
    assert instances[1].stop() == 0
    return gets, posts, reloads


@pytest.mark.parametrize("retries", [True, False], ids=["recipe", "no-retries"])
def test_draining_one_instance_behind_nginx_without_a_failed_request(
    servers: ServerFactory, nginx: Nginx, shared_directory: Path, retries: bool
) -> None:
    """With a drain delay, the instance keeps serving while its readiness path says 503 and
    nginx stops sending to it; only then does it stop. No request fails, POSTs included,
    under the recipe and even with nginx retrying nothing (as a Kubernetes Service). No
    sleep anywhere: the server waits itself."""
    gets, posts, reloads = sigterm_one_of_two_behind_nginx(
        servers, nginx, shared_directory, "3", retries
    )
    assert gets.failures == [], gets.failures[:5]
    assert posts.failures == [], posts.failures[:5]
    assert reloads >= 1
    assert gets.succeeded >= 400
    assert posts.succeeded >= 400


def test_without_a_drain_delay_requests_fail_where_nothing_retries(
    servers: ServerFactory, nginx: Nginx, shared_directory: Path
) -> None:
    """The difference the drain delay makes: without it the instance stops accepting at
    once, before the readiness poll has taken it out, and what is sent to it meanwhile
    fails when nothing retries (a Kubernetes Service; or POSTs already sent)."""
    gets, posts, _ = sigterm_one_of_two_behind_nginx(
        servers, nginx, shared_directory, "0", retries=False
    )
    failed = Counter(gets.failures + posts.failures)
    assert failed, "every request succeeded without a drain delay"
    # nginx's 502s for the requests the stopped instance refused: most of the failures, if
    # not all (the kinds are printed when not).
    assert failed["status 502"] * 2 > failed.total(), failed


# --- supervisor and circus --------------------------------------------------------------


def assert_both_processes_serve_the_real_client(server: ServerProcess) -> None:
    """Each request on a new connection, until both of the manager's processes answered."""
    pids: set[int] = set()

    def both_answered() -> bool:
        with client_from(CLIENT_ADDRESS) as client:
            info = client.get(server.url("/request-info/")).json()
        assert info["client"] == CLIENT_ADDRESS
        pids.add(info["pid"])
        return len(pids) == 2

    wait_for(both_answered, 30, "both processes to answer")


def test_supervisor_fcgi_program_hands_over_the_socket(
    servers: ServerFactory, tmp_path: Path
) -> None:
    supervisord = shutil.which("supervisord") or str(Path(sys.executable).parent / "supervisord")
    if not Path(supervisord).exists():
        pytest.skip("supervisor is not installed (pip install supervisor)")
    port = free_port()
    config = (DEPLOY / "supervisord.conf").read_text()
    for old, new in [
        ("tcp://127.0.0.1:8000", f"tcp://127.0.0.1:{port}"),
        (f"directory={APP_ROOT}/example_project", f"directory={EXAMPLE_PROJECT}"),
        (VENV_PYTHON, sys.executable),
        ("pidfile=/tmp/supervisord.pid", f"pidfile={tmp_path}/supervisord.pid"),
    ]:
        config = replaced(config, old, new)
    (tmp_path / "supervisord.conf").write_text(config)
    server = servers.start_command(
        [supervisord, "-n", "-c", str(tmp_path / "supervisord.conf")],
        port,
        cwd=tmp_path,
        env=example_env(),
    )
    server.wait_ready()
    assert_both_processes_serve_the_real_client(server)
    assert server.stop() == 0


def test_circus_watcher_hands_over_the_socket(servers: ServerFactory, tmp_path: Path) -> None:
    circusd = shutil.which("circusd") or str(Path(sys.executable).parent / "circusd")
    if not Path(circusd).exists():
        pytest.skip("circus is not installed (pip install circus)")
    port = free_port()
    config = (DEPLOY / "circus.ini").read_text()
    for old, new in [
        ("port = 8000", f"port = {port}"),
        (f"working_dir = {APP_ROOT}/example_project", f"working_dir = {EXAMPLE_PROJECT}"),
        (VENV_PYTHON, sys.executable),
    ]:
        config = replaced(config, old, new)
    endpoints = (
        f"[circus]\nendpoint = ipc://{tmp_path}/circus.sock\n"
        f"pubsub_endpoint = ipc://{tmp_path}/pubsub.sock\nstatsd = False\n\n"
    )
    (tmp_path / "circus.ini").write_text(endpoints + config)
    server = servers.start_command(
        [circusd, str(tmp_path / "circus.ini")], port, cwd=tmp_path, env=example_env()
    )
    server.wait_ready()
    assert_both_processes_serve_the_real_client(server)
    assert server.stop() == 0


# --- Kubernetes -------------------------------------------------------------------------


def test_kubernetes_probes_drain_and_grace_period_match_the_server(
    servers: ServerFactory,
) -> None:
    deployment = yaml.safe_load((DEPLOY / "kubernetes/deployment.yaml").read_text())
    service = yaml.safe_load((DEPLOY / "kubernetes/service.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "command" not in container, "the image's CMD runs"
    assert "args" not in container
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert "lifecycle" not in container, "no preStop: the drain delay does its work"
    assert pod["terminationGracePeriodSeconds"] > GRACEFUL_TIMEOUT
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]

    port = free_port()
    env = {**dockerfile_env(), "HOST": "127.0.0.1", "PORT": str(port)}
    env.update({item["name"]: item["value"] for item in container.get("env", [])})
    drain_delay = float(env["DRAIN_DELAY"])
    assert 0 < drain_delay < GRACEFUL_TIMEOUT
    command = json.loads(dict(dockerfile_instructions())["CMD"])
    server = servers.start_command([sys.executable, *command[1:]], port, EXAMPLE_PROJECT, env)
    readiness = container["readinessProbe"]["httpGet"]["path"]
    server.wait_ready(readiness)
    pod_ip = {"Host": "10.1.2.3:8000"}
    for probe in ("readinessProbe", "livenessProbe"):
        path = container[probe]["httpGet"]["path"]
        assert server.get(path, headers=pod_ip).status_code == 200
    # SIGTERM: serving on, readiness 503, for the drain delay; then a graceful stop, the
    # whole within the graceful timeout the grace period was sized for.
    settings = (EXAMPLE_PROJECT / "example_project/settings.py").read_text()
    assert re.search(rf"^GRACEFUL_TIMEOUT = {GRACEFUL_TIMEOUT}$", settings, re.MULTILINE)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    wait_for(lambda: server.get(readiness, headers=pod_ip).status_code == 503, 10, "readiness 503")
    assert server.get("/health/").status_code == 200
    assert server.process.wait(GRACEFUL_TIMEOUT) == 0
    assert drain_delay <= time.monotonic() - started < GRACEFUL_TIMEOUT
