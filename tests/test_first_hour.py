"""A new user's first hour, from a fresh ``django-admin startproject``: the docs' steps work
as written, and mistakes are caught where the user makes them."""

from __future__ import annotations

import json
import re
import shlex
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .support import containers
from .support.servers import REPO_ROOT, ServerFactory, children_of, free_port, wait_for
from .support.startproject import add_settings, install_app, manage, start_project

pytestmark = pytest.mark.server

QUICKSTART = (REPO_ROOT / "docs" / "quickstart.md").read_text()


def quickstart_python() -> str:
    (code,) = re.findall(r"```python\n(.+?)```", QUICKSTART, re.S)
    return "\n".join(line.removeprefix("   ") for line in code.splitlines())


def quickstart_commands() -> list[tuple[str, list[str]]]:
    """Each ``$ command`` of the page, with the lines the page shows it printing."""
    found = []
    for block in re.findall(r"```text\n(.+?)```", QUICKSTART, re.S):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith("$ "):
            found.append((lines[0][2:], lines[1:]))
    return found


@pytest.fixture
def fresh_project(tmp_path: Path) -> Path:
    project = start_project(tmp_path / "mysite")
    install_app(project)
    return project


def test_the_quickstart_word_by_word(fresh_project: Path, servers: ServerFactory) -> None:
    add_settings(fresh_project, quickstart_python())
    (dry_run, dry_run_output), (start, _banner) = quickstart_commands()

    assert dry_run == "python manage.py prodserver web --dry-run"
    result = manage(fresh_project, *dry_run.split()[2:])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == dry_run_output
    assert "ASGI_APPLICATION is not set: serving mysite.asgi.application" in result.stderr

    assert start == "python manage.py prodserver web"
    port = free_port()
    # The page's 0.0.0.0:8000, moved to loopback and a free port (tests bind nothing else).
    command = [sys.executable, *start.split()[1:], "--", "--host", "127.0.0.1", "--port", str(port)]
    server = servers.start_command(command, port, cwd=fresh_project, env={})
    server.wait_ready("/")
    assert server.get("/").status_code == 200
    assert server.get("/admin/login/").status_code == 200
    assert server.stop() == 0
    assert "prodserver: starting 'web' (UvicornServer)" in server.output()


UVICORN_WEB = """
PRODUCTION_PROCESSES = {
    "web": {
        "BACKEND": "django_prodserver.backends.uvicorn.UvicornServer",
        "ARGS": {"host": "127.0.0.1", "port": "8000"},
    },
}
"""


def test_debug_off_without_allowed_hosts_is_refused_like_runserver(fresh_project: Path) -> None:
    add_settings(fresh_project, UVICORN_WEB + "DEBUG = False\n")
    result = manage(fresh_project, "prodserver", "web", "--dry-run")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "CommandError: ALLOWED_HOSTS: is empty while DEBUG is False, so Django would answer "
        "400 (Bad Request) to every request; list the host names this server answers to, "
        "e.g. ALLOWED_HOSTS = ['www.example.com'] (or set DEBUG = True for development)"
    ]
    add_settings(fresh_project, "ALLOWED_HOSTS = ['www.example.com']")
    assert manage(fresh_project, "prodserver", "web", "--dry-run").returncode == 0
    assert manage(fresh_project, "check").returncode == 0  # only prodserver refuses


def test_a_broken_process_does_not_block_another(fresh_project: Path) -> None:
    add_settings(
        fresh_project,
        UVICORN_WEB + 'PRODUCTION_PROCESSES["old"] = {"ARGS": ["--port", "8001"]}\n',
    )
    started = manage(fresh_project, "prodserver", "web", "--dry-run")
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("uvicorn mysite.asgi:application --host=127.0.0.1")
    broken = manage(fresh_project, "prodserver", "old", "--dry-run")
    assert broken.returncode == 2
    assert "PRODUCTION_PROCESSES['old']: has no 'BACKEND'" in broken.stderr
    assert manage(fresh_project, "check").returncode == 1  # check still reports it


def test_a_port_clash_under_gunicorn_names_bind(fresh_project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        add_settings(
            fresh_project,
            "PRODUCTION_PROCESSES = {'web': {'BACKEND': "
            "'django_prodserver.backends.gunicorn.GunicornServer', "
            f"'ARGS': {{'bind': '127.0.0.1:{port}'}}}}}}",
        )
        result = manage(fresh_project, "prodserver", "web")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"CommandError: PRODUCTION_PROCESSES['web']['ARGS']['bind']: 127.0.0.1:{port} is "
        "already in use by another process; stop that process or choose another port"
    ]


def test_an_override_typo_is_located_on_the_command_line(fresh_project: Path) -> None:
    add_settings(fresh_project, UVICORN_WEB)
    result = manage(fresh_project, "prodserver", "web", "--dry-run", "--", "--prot", "9000")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "CommandError: prodserver web -- --prot: uvicorn has no option --prot; did you mean 'port'?"
    ]


PROCFILE_BACKENDS = {
    "UvicornServer": "{'host': '127.0.0.1', 'port': '8000'}",
    "UvicornWSGIServer": "{'host': '127.0.0.1', 'port': '8000'}",
    "GunicornUvicornServer": "{'bind': '127.0.0.1:8000'}",
    "GunicornServer": "{'bind': '127.0.0.1:8000'}",
}


def web_setting(backend: str, args: str) -> str:
    """``PRODUCTION_PROCESSES`` with one ``web`` process of ``backend`` (a class name)."""
    family = "gunicorn" if backend.startswith("Gunicorn") else "uvicorn"
    return (
        "PRODUCTION_PROCESSES = {'web': {'BACKEND': "
        f"'django_prodserver.backends.{family}.{backend}', 'ARGS': {args}}}}}"
    )


@pytest.mark.parametrize(("backend", "args"), PROCFILE_BACKENDS.items())
def test_the_procfile_line_on_every_backend(
    fresh_project: Path, servers: ServerFactory, backend: str, args: str
) -> None:
    """`web: python manage.py prodserver web -- --port $PORT`, as the docs give it."""
    add_settings(fresh_project, web_setting(backend, args))
    port = free_port()
    procfile = "python manage.py prodserver web -- --port $PORT"
    command = [sys.executable, *procfile.replace("$PORT", str(port)).split()[1:]]
    server = servers.start_command(command, port, cwd=fresh_project, env={})
    server.wait_ready("/admin/login/")
    assert server.get("/admin/login/").status_code == 200
    assert server.stop() == 0


def test_a_port_override_needs_a_tcp_bind(fresh_project: Path) -> None:
    add_settings(
        fresh_project,
        "PRODUCTION_PROCESSES = {'web': {'BACKEND': "
        "'django_prodserver.backends.gunicorn.GunicornServer', "
        "'ARGS': {'bind': 'unix:/run/web.sock'}}}",
    )
    result = manage(fresh_project, "prodserver", "web", "--dry-run", "--", "--port", "9000")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "CommandError: prodserver web -- --port: bind unix:/run/web.sock has no TCP address "
        "to change; bind a host:port in ARGS, or override the whole of it with "
        "-- --bind HOST:PORT"
    ]


def test_lifespan_on_with_djangos_handler_is_an_error(fresh_project: Path) -> None:
    add_settings(
        fresh_project, UVICORN_WEB + 'PRODUCTION_PROCESSES["web"]["ARGS"]["lifespan"] = "on"'
    )
    for command in (["check"], ["prodserver", "web", "--dry-run"]):
        result = manage(fresh_project, *command)
        assert result.returncode != 0
        assert (
            "PRODUCTION_PROCESSES['web']['ARGS']['lifespan']: 'on' needs an application that "
            "handles lifespan events, and Django's ASGI handler does not" in result.stderr
        )


def test_the_banner_reads_the_environment_the_server_reads(
    fresh_project: Path, servers: ServerFactory
) -> None:
    add_settings(fresh_project, UVICORN_WEB)
    port = free_port()
    command = [sys.executable, "manage.py", "prodserver", "web", "--", "--port", str(port)]
    server = servers.start_command(command, port, cwd=fresh_project, env={"UVICORN_WORKERS": "3"})
    server.wait_ready("/")
    wait_for(lambda: len(children_of(server.pid)) >= 3, 20, "three uvicorn workers")
    assert server.stop() == 0
    assert ", workers 3 (uvicorn processes)," in server.output()


def test_the_middleware_advice_is_for_check_deploy_only(fresh_project: Path) -> None:
    add_settings(fresh_project, UVICORN_WEB + "ALLOWED_HOSTS = ['www.example.com']")
    for command in (["check"], ["migrate"]):
        result = manage(fresh_project, *command)
        assert result.returncode == 0, result.stderr
        assert "prodserver." not in result.stdout + result.stderr
    deploy = manage(fresh_project, "check", "--deploy")
    assert "(prodserver.I001)" in deploy.stdout + deploy.stderr
    assert "(prodserver.W003)" not in deploy.stdout + deploy.stderr
    assert "(security.W018)" in deploy.stdout + deploy.stderr  # Django's own DEBUG warning


STATIC_FILES_PAGE = (REPO_ROOT / "docs" / "deployment" / "static-files.md").read_text()
STATIC_RECIPES = dict(
    zip(
        ["servestatic", "whitenoise"],
        re.findall(r"```python\n(.+?)```", STATIC_FILES_PAGE, re.S),
        strict=True,
    )
)
STATIC_CASES = [
    *((backend, "servestatic") for backend in PROCFILE_BACKENDS),
    ("GunicornServer", "whitenoise"),
    ("UvicornWSGIServer", "whitenoise"),
]


@pytest.mark.parametrize(("backend", "package"), STATIC_CASES)
def test_the_static_files_page_styles_the_admin(
    fresh_project: Path, servers: ServerFactory, backend: str, package: str
) -> None:
    add_settings(
        fresh_project,
        "DEBUG = False\nALLOWED_HOSTS = ['127.0.0.1']\n"
        + web_setting(backend, PROCFILE_BACKENDS[backend]),
    )
    before = manage(fresh_project, "check", "--deploy")
    assert "(prodserver.W006)" in before.stdout + before.stderr
    add_settings(fresh_project, STATIC_RECIPES[package])
    (collectstatic,) = [
        line
        for line in re.findall(r"```bash\n(.+?)\n```", STATIC_FILES_PAGE)
        if "manage.py" in line
    ]
    collected = manage(fresh_project, *collectstatic.split()[2:])
    assert collected.returncode == 0, collected.stderr
    after = manage(fresh_project, "check", "--deploy")
    assert "(prodserver.W006)" not in after.stdout + after.stderr
    port = free_port()
    command = [sys.executable, "manage.py", "prodserver", "web", "--", "--port", str(port)]
    # Unmeasured: under coverage's tracer, servestatic's file thread under the sync worker can
    # spin holding the GIL once SIGTERM arrives, so the worker never exits (1 run in 4 with
    # coverage, 0 in 40 without it; py-spy showed the loop thread busy, the main thread
    # waiting for the GIL).
    server = servers.start_command(command, port, cwd=fresh_project, env={}, measured=False)
    server.wait_ready("/admin/login/")
    stylesheet = server.get("/static/admin/css/base.css")
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert server.stop() == 0


YOUR_PROJECT = REPO_ROOT / "docs" / "deployment" / "your-project"


def test_the_dockerfile_for_your_own_project(fresh_project: Path, servers: ServerFactory) -> None:
    page = (REPO_ROOT / "docs" / "deployment" / "your-project.md").read_text()
    (settings,) = re.findall(r"```python\n(.+?)```", page, re.S)
    add_settings(fresh_project, settings + STATIC_RECIPES["servestatic"])
    dockerfile = YOUR_PROJECT / "Dockerfile"
    instructions = containers.dockerfile_instructions(dockerfile)
    steps = dict(instructions)
    assert steps["WORKDIR"] == "/app"
    assert steps["USER"] not in ("root", "0")
    for keyword, rest in instructions:  # the build's own manage.py steps, in the project
        if keyword == "RUN" and "manage.py" in rest:
            built = manage(fresh_project, *shlex.split(rest)[2:])
            assert built.returncode == 0, built.stderr
    command = json.loads(steps["CMD"])
    assert command == ["python", "manage.py", "prodserver", "web"]
    port = free_port()
    # Loopback and a free port instead of the container's 0.0.0.0:8000.
    server = servers.start_command(
        [
            *containers.read_only_root(fresh_project),
            sys.executable,
            *command[1:],
            *("--", "--host", "127.0.0.1", "--port", str(port)),
        ],
        port,
        cwd=fresh_project,
        env={**containers.dockerfile_env(dockerfile), "DJANGO_ALLOWED_HOSTS": "127.0.0.1"},
        measured=False,
    )
    server.wait_ready("/admin/login/")
    assert server.get("/static/admin/css/base.css").status_code == 200
    assert server.stop() == 0
    assert "read-only file system" not in server.output().lower()


def test_the_kubernetes_deployment_for_your_own_project() -> None:
    page = (REPO_ROOT / "docs" / "deployment" / "your-project.md").read_text()
    (settings,) = re.findall(r"```python\n(.+?)```", page, re.S)
    namespace: dict[str, Any] = {}
    exec(settings, namespace)
    args = namespace["PRODUCTION_PROCESSES"]["web"]["ARGS"]
    text = (YOUR_PROJECT / "deployment.yaml").read_text()
    for example_only in ("/health/", "GRACEFUL_TIMEOUT", "name: HOST", "name: PORT"):
        assert example_only not in text
    spec = yaml.safe_load(text)["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert "command" not in container
    assert "args" not in container
    assert container["ports"] == [{"containerPort": int(args["port"])}]
    paths = {"readinessProbe": args["readiness-path"], "livenessProbe": args["liveness-path"]}
    for probe, path in paths.items():
        assert container[probe]["httpGet"] == {"path": path, "port": int(args["port"])}
    assert "lifecycle" not in container, "no preStop: the drain delay does its work"
    assert float(args["drain-delay"]) < int(args["timeout-graceful-shutdown"])
    assert spec["terminationGracePeriodSeconds"] > int(args["timeout-graceful-shutdown"])
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["runAsNonRoot"] is True
    dockerfile_user = dict(containers.dockerfile_instructions(YOUR_PROJECT / "Dockerfile"))["USER"]
    assert security["runAsUser"] == int(dockerfile_user)


def test_without_the_app_the_troubleshooting_page_names_the_fix(tmp_path: Path) -> None:
    project = start_project(tmp_path / "bare")
    result = manage(project, "prodserver", "web")
    assert "Unknown command: 'prodserver'" in result.stderr
    troubleshooting = (REPO_ROOT / "docs" / "troubleshooting.md").read_text()
    row = next(line for line in troubleshooting.splitlines() if "Unknown command" in line)
    assert '`"django_prodserver"` is missing from `INSTALLED_APPS`' in row


ASYNC_VIEW = """
from django.http import HttpResponse
from django.urls import path


async def hello_async(request):
    return HttpResponse("async")


urlpatterns.append(path("async/", hello_async))
"""


@pytest.mark.parametrize("backend", ["UvicornWSGIServer", "GunicornServer"])
def test_async_views_answer_under_the_wsgi_backends(
    fresh_project: Path, servers: ServerFactory, backend: str
) -> None:
    """What troubleshooting.md says: they work, each in an event loop of its own."""
    urls = fresh_project / "mysite" / "urls.py"
    urls.write_text(urls.read_text() + ASYNC_VIEW)
    add_settings(fresh_project, web_setting(backend, PROCFILE_BACKENDS[backend]))
    port = free_port()
    command = [sys.executable, "manage.py", "prodserver", "web", "--", "--port", str(port)]
    server = servers.start_command(command, port, cwd=fresh_project, env={})
    server.wait_ready("/async/")
    assert server.get("/async/").text == "async"
    assert server.stop() == 0


def test_the_banner_says_the_loop_a_custom_worker_runs(
    fresh_project: Path, servers: ServerFactory
) -> None:
    """gunicorn.md's CONFIG_KWARGS example, as written, in the project's mysite/workers.py."""
    gunicorn_page = (REPO_ROOT / "docs" / "backends" / "gunicorn.md").read_text()
    (worker,) = [
        block
        for block in re.findall(r"```python\n(.+?)```", gunicorn_page, re.S)
        if "class MyUvicornWorker" in block
    ]
    (fresh_project / "mysite" / "workers.py").write_text(worker)
    add_settings(
        fresh_project,
        "PRODUCTION_PROCESSES = {'web': {'BACKEND': "
        "'django_prodserver.backends.gunicorn.GunicornUvicornServer', 'ARGS': "
        "{'bind': '127.0.0.1:8000', 'worker-class': 'mysite.workers.MyUvicornWorker'}}}",
    )
    port = free_port()
    command = [sys.executable, "manage.py", "prodserver", "web", "--", "--port", str(port)]
    server = servers.start_command(command, port, cwd=fresh_project, env={})
    server.wait_ready("/admin/login/")
    assert server.stop() == 0
    output = server.output()
    assert "(mysite.workers.MyUvicornWorker), loop asyncio, http httptools" in output
    assert "uvicorn.access: 127.0.0.1" in output  # its log_config took over the access log


WRONG_WORKERS = {
    # The classic recipe's worker, which runs ASGI, on the WSGI backend.
    "GunicornServer": ("uvicorn.workers.UvicornWorker", "runs ASGI applications"),
    # A WSGI worker on the ASGI backend.
    "GunicornUvicornServer": ("sync", "runs WSGI applications"),
}


@pytest.mark.parametrize(("backend", "wrong"), WRONG_WORKERS.items())
def test_a_worker_class_for_the_other_interface_fails_check(
    fresh_project: Path, backend: str, wrong: tuple[str, str]
) -> None:
    worker, problem = wrong
    add_settings(
        fresh_project,
        web_setting(backend, f"{{'bind': '127.0.0.1:8000', 'worker-class': {worker!r}}}"),
    )
    result = manage(fresh_project, "check")
    assert result.returncode == 1
    where = "PRODUCTION_PROCESSES['web']['ARGS']['worker-class']"
    assert f"(prodserver.E005) {where}: {worker!r} {problem}" in result.stderr
