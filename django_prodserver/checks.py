"""System checks: every mistake ``prodserver`` would refuse to start with, found by
``manage.py check`` with the very same validation (the ids are the ConfigurationError
subclasses'), plus deployment advice for ``manage.py check --deploy``. README.md lists the ids.

Every command runs Django's checks (``migrate`` and ``test`` too), often on a machine that is
not the production one: a CI job, a migration container, a settings module for tests. So only
mistakes in the setting itself are errors everywhere. A missing setting is an error only for
``prodserver``, and what depends on this machine (files, ``UVICORN_*`` variables) is checked
only by ``prodserver`` and ``check --deploy``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Warning
from django.utils.module_loading import import_string

from .backends.base import BaseServerBackend
from .conf import is_configured, production_processes
from .errors import ConfigurationError
from .processes import load_backend
from .runtime.drain import SHORTEST_STOP_SECONDS

#: A typical load balancer's idle timeout (AWS ALB, nginx keepalive_timeout): 60 s.
PROXY_IDLE_TIMEOUT = 60
MIDDLEWARE_HOOKS = (
    "process_request",
    "process_view",
    "process_template_response",
    "process_response",
    "process_exception",
)

_validated_by_the_command: ContextVar[bool] = ContextVar("validated_by_the_command", default=False)


@contextmanager
def validated_by_the_command() -> Iterator[None]:
    """``prodserver`` validates the process it starts itself and reports a mistake as one
    line; within this block our checks stay quiet (``manage.py check`` reports them), so
    that the command neither says it twice nor fails for a process it does not start."""
    token = _validated_by_the_command.set(True)
    try:
        yield
    finally:
        _validated_by_the_command.reset(token)


def as_check_message(error: ConfigurationError) -> Error:
    return Error(
        f"{error.location}: {error.problem}.",
        hint=f"{error.fix[:1].upper()}{error.fix[1:]}.",
        id=error.check_id,
    )


def check_configuration(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if _validated_by_the_command.get() or not is_configured():
        return []
    try:
        processes = production_processes()
    except ConfigurationError as error:
        return [as_check_message(error)]
    messages: list[CheckMessage] = []
    for config in processes.values():
        try:
            load_backend(config)
        except ConfigurationError as error:
            messages.append(as_check_message(error))
    return messages


def check_machine(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy``: each process that is configured right, against this machine's
    files and environment (TLS files, paths, ``UVICORN_*``), as ``prodserver`` checks it."""
    messages: list[CheckMessage] = []
    for name, backend in loadable_backends():
        try:
            backend.check_environment()
        except ConfigurationError as error:
            messages.append(as_check_message(error.inside(name)))
    return messages


def loadable_backends() -> Iterator[tuple[str, BaseServerBackend]]:
    """Every process that loads; the ones that do not are check_configuration's to report."""
    if not is_configured():
        return
    try:
        processes = production_processes()
    except ConfigurationError:
        return
    for config in processes.values():
        try:
            yield config.name, load_backend(config)
        except ConfigurationError:
            continue


def uses_tcp(backend: BaseServerBackend) -> bool:
    return any(getattr(bind, "tcp", False) for bind in backend.describe().binds)


def check_deployment(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    backends = list(loadable_backends())
    for name, backend in backends:
        messages.extend(_deployment_advice(name, backend))
    serving = [b for _, b in backends if b.serves_http and not b.for_development]
    if serving and not static_files_served():
        messages.append(
            Warning(
                f"Nothing in this project serves STATIC_URL ({settings.STATIC_URL!r}) with DEBUG "
                "off: the admin and your pages get no CSS, JavaScript or images.",
                hint="Serve them from the application with ServeStatic or WhiteNoise (see "
                "the static files page of django-prodserver's docs), or silence "
                "prodserver.W006 if a proxy or a CDN serves STATIC_URL.",
                id="prodserver.W006",
            )
        )
    return messages


#: Middleware that serves STATIC_ROOT from the application itself.
STATIC_FILES_MIDDLEWARE = (
    "servestatic.middleware.ServeStaticMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
)


def static_files_served() -> bool:
    """Whether the project serves STATIC_URL itself, or points it at another host."""
    static_url = str(getattr(settings, "STATIC_URL", "") or "")
    if not static_url or static_url.startswith(("http://", "https://", "//")):
        return True
    return any(path in STATIC_FILES_MIDDLEWARE for path in settings.MIDDLEWARE)


def _deployment_advice(name: str, backend: BaseServerBackend) -> Iterator[CheckMessage]:
    if backend.for_development:
        yield Warning(
            f"PRODUCTION_PROCESSES[{name!r}] runs {type(backend).__name__}, Django's "
            "development server, which is not made for production (no security review, "
            "no performance work).",
            hint="Keep it for a development process, in a settings module that is not "
            "deployed; serve production with UvicornServer, GunicornServer or another backend.",
            id="prodserver.W008",
        )
    values = backend.effective_values()
    where = f"PRODUCTION_PROCESSES[{name!r}]['ARGS']"
    proxies_option = backend.trusted_proxies_option
    trusted = str(values.get(proxies_option, "")) if proxies_option else ""
    if "*" in [ip.strip() for ip in trusted.split(",")] and uses_tcp(backend):
        source = (
            f"{where}[{proxies_option!r}]"
            if proxies_option in backend.translated.values
            else f"{backend.environment_source()} set {proxies_option!r} for {name!r}, which"
        )
        yield Warning(
            f"{source} is '*' on a TCP socket: any client can set "
            "X-Forwarded-For and X-Forwarded-Proto.",
            hint="List your proxy's addresses instead, e.g. '10.0.0.2', or serve on a UNIX "
            "socket only the proxy can reach.",
            id="prodserver.W001",
        )
    if backend.reload_option and values.get(backend.reload_option) is True:
        yield Warning(
            f"{where}[{backend.reload_option!r}] is on: the server restarts on file changes.",
            hint=f"Remove {backend.reload_option!r} from production settings; use it for "
            "development only.",
            id="prodserver.W002",
        )
    if backend.serves_asgi():
        for alias, database in settings.DATABASES.items():
            if database.get("CONN_MAX_AGE", 0) != 0:
                yield Warning(
                    f"DATABASES[{alias!r}]['CONN_MAX_AGE'] is {database.get('CONN_MAX_AGE')!r} "
                    f"while {name!r} serves ASGI: Django leaks persistent connections there, "
                    "one per thread that ever ran a query.",
                    hint="Set CONN_MAX_AGE = 0 for ASGI, and use a connection pooler "
                    "(pgbouncer, or Django 5.1's PostgreSQL pool) if connections are costly.",
                    id="prodserver.W004",
                )
    yield from _keep_alive_advice(where, backend)
    yield from _drain_delay_advice(where, backend)
    address = backend.metrics.address
    if address is not None and not address.loopback:
        yield Warning(
            f"{where}['metrics-bind'] is {backend.metrics.bind!r}, which other machines can "
            "reach: anyone who connects reads the site's traffic figures.",
            hint="Serve the metrics on loopback ('127.0.0.1:9100') or a UNIX socket for a "
            "local agent or a sidecar, or firewall the port to your Prometheus.",
            id="prodserver.W010",
        )
    exposed = [
        bind
        for bind in backend.describe().binds
        if getattr(bind, "tcp", False) and not getattr(bind, "loopback", False)
    ]
    if exposed and backend.slow_clients_block_workers():
        yield Warning(
            f"PRODUCTION_PROCESSES[{name!r}] serves {exposed[0]} with workers that each wait "
            "for one client to send its whole request: a few slow clients can block them all.",
            hint="Put a buffering proxy in front (the nginx recipe, on a UNIX socket or "
            "loopback), or use an ASGI backend (GunicornUvicornServer, UvicornServer).",
            id="prodserver.W007",
        )


def _keep_alive_advice(where: str, backend: BaseServerBackend) -> Iterator[CheckMessage]:
    values = backend.translated.values
    behind_proxy = (
        backend.proxy_headers_option is not None
        and values.get(backend.proxy_headers_option) is True
    ) or (backend.trusted_proxies_option is not None and backend.trusted_proxies_option in values)
    keep_alive = backend.keep_alive_seconds()
    if backend.keep_alive is None or keep_alive is None or not behind_proxy:
        return
    if keep_alive < PROXY_IDLE_TIMEOUT:
        option = backend.keep_alive.option
        yield Warning(
            f"{where}[{option!r}] is {keep_alive}s behind a proxy: load balancers keep "
            f"idle connections open for {PROXY_IDLE_TIMEOUT}s, so they can reuse a connection "
            "the server has just closed, and answer 502.",
            hint=f"Set {option!r}: '{PROXY_IDLE_TIMEOUT + 5}', longer than the "
            "proxy's idle timeout.",
            id="prodserver.W005",
        )


def _drain_delay_advice(where: str, backend: BaseServerBackend) -> Iterator[CheckMessage]:
    delay = backend.health.drain_delay
    graceful = backend.graceful_timeout_seconds() if delay else None
    if backend.graceful_timeout is None or graceful is None or delay < graceful:
        return
    option = backend.graceful_timeout.option
    yield Warning(
        f"{where}['drain-delay'] is {delay:g}s and {option!r} is {graceful:g}s: the delay "
        "takes the whole graceful timeout, so requests still in flight when it ends get "
        f"{SHORTEST_STOP_SECONDS:g}s to finish.",
        hint=f"Make {option!r} longer than 'drain-delay' plus your longest request (and "
        "Kubernetes' terminationGracePeriodSeconds longer still), or shorten 'drain-delay'.",
        id="prodserver.W009",
    )


def thread_hopping_middleware(paths: Sequence[str]) -> list[str]:
    """Middleware that Django runs in a thread for every request served over ASGI."""
    found = []
    for path in paths:
        try:
            middleware = import_string(path)
        except ImportError:
            continue
        hooks = [
            getattr(middleware, hook) for hook in MIDDLEWARE_HOOKS if hasattr(middleware, hook)
        ]
        if not getattr(middleware, "async_capable", False) or any(
            not inspect.iscoroutinefunction(hook) for hook in hooks
        ):
            found.append(path)
    return found


def check_asgi_middleware(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if _validated_by_the_command.get():
        return []
    asgi = [
        name
        for name, backend in loadable_backends()
        if backend.serves_asgi() and not backend.handler.ours
    ]
    hopping = thread_hopping_middleware(settings.MIDDLEWARE) if asgi else []
    if not hopping:
        return []
    return [
        Info(
            f"{', '.join(map(repr, asgi))} serve ASGI, and {len(hopping)} middleware run "
            f"synchronous code that Django hands to a thread on every request: "
            f"{', '.join(hopping)}.",
            hint="Each hand-off costs throughput. Add 'asgi-handler': 'prodserver' to their "
            "ARGS (or build the application with django_prodserver.asgi.get_asgi_application() "
            "in your asgi.py): a sync view and its middleware then run in one hand-off, "
            "async views and websockets unchanged. See django-prodserver's docs, "
            "'prodserver's ASGI handler'.",
            id="prodserver.I001",
        )
    ]
