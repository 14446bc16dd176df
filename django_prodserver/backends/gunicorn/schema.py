"""gunicorn's options, read from its own settings registry and checked with its own
validators; and, under GunicornUvicornServer, how gunicorn and our uvicorn worker split the
options between them, with the advice for every key neither takes."""

from __future__ import annotations

from functools import cache
from typing import Any

from ...errors import BackendError
from ...options.schema import InvalidValue, OptionSchema, Refusal, ServerOption, Validator
from ..asgi_handler import HANDLER_OPTIONS, refused_under_wsgi
from ..health_options import HEALTH_OPTIONS
from ..log_options import LOG_OPTIONS
from ..metrics_options import METRICS_OPTIONS
from ..uvicorn.schema import UDS_MODE, uvicorn_schema

INSTALL_HINT = "pip install 'django-prodserver[gunicorn]'"
FLAG_ACTIONS = ("store_true", "store_const")


#: uvicorn options whose job gunicorn does under GunicornUvicornServer, and what to use.
GUNICORN_DOES_THIS: dict[str, str] = {
    "host": "use 'bind', e.g. 'bind': '0.0.0.0:8000'",
    "port": "use 'bind', e.g. 'bind': '0.0.0.0:8000'",
    "uds": "use 'bind': 'unix:/path/to.sock'",
    "fd": "use 'bind': 'fd://N'",
    "reload-dir": "use 'reload-extra-file'",
    "reload-include": "use 'reload-extra-file'",
    "reload-exclude": "gunicorn's reloader has no such option; remove it",
    "reload-delay": "gunicorn's reloader has no such option; remove it",
    "timeout-keep-alive": "use 'keep-alive'",
    "timeout-graceful-shutdown": "use 'graceful-timeout'",
    "limit-max-requests": "use 'max-requests'",
    "limit-max-requests-jitter": "use 'max-requests-jitter'",
    "timeout-worker-healthcheck": "use 'timeout'",
    "ssl-keyfile": "use 'keyfile'",
    "ssl-certfile": "use 'certfile'",
    "ssl-cert-reqs": "use 'cert-reqs'",
    "ssl-ca-certs": "use 'ca-certs'",
    "ssl-ciphers": "use 'ciphers'",
    "app-dir": "use 'chdir' or 'pythonpath'",
    "use-colors": "gunicorn's log handlers format the lines; remove it",
    "interface": "GunicornUvicornServer serves ASGI_APPLICATION over ASGI; remove it",
}

#: gunicorn options for its own HTTP and ASGI workers, which our uvicorn worker does not read.
FOR_GUNICORNS_OWN_WORKERS: dict[str, str] = {
    "asgi-loop": "use 'loop'",
    "asgi-lifespan": "use 'lifespan'",
    "websocket-max-message-size": "use 'ws-max-size'",
    "http-parser": "use 'http'",
    "asgi-disconnect-grace-period": "remove it",
    "threads": "our uvicorn worker runs one event loop per process; remove it",
}

SPLIT_PROBLEM = (
    "is not for GunicornUvicornServer, where gunicorn and our uvicorn worker split the options"
)

#: prodserver's uvicorn-side option, whose job gunicorn's own setting does.
UDS_MODE_REFUSAL = Refusal(
    "is an option of the uvicorn backends",
    "use 'umask', e.g. 'umask': '0o007' for a socket only the owner and group can use "
    "(gunicorn creates it with mode 0o777 minus the umask)",
)
CONFIG_FILE_ONLY = Refusal(
    "is a gunicorn setting with no command-line option",
    "put it in a gunicorn config module and point 'config' at it, "
    "e.g. 'config': 'python:mysite.gunicorn_conf'",
)


@cache
def gunicorn_schema() -> OptionSchema:
    """Every gunicorn option; settings only a config file can set are refused."""
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError as error:
        raise BackendError(
            ("BACKEND",), f"needs gunicorn, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    options = [_server_option(setting) for setting in KNOWN_SETTINGS if _long_names(setting)]
    config_file_only = {
        setting.name: CONFIG_FILE_ONLY for setting in KNOWN_SETTINGS if not _long_names(setting)
    }
    return OptionSchema(
        "gunicorn", options, {**config_file_only, UDS_MODE: UDS_MODE_REFUSAL}
    ).with_checks({"bind": check_bind, "worker-class": check_worker_class})


@cache
def uvicorn_only_schema() -> OptionSchema:
    """uvicorn's options that gunicorn has no name for, read by our worker."""
    gunicorn = gunicorn_schema()
    return uvicorn_schema().without(
        name
        for name in uvicorn_schema().names()
        if name in GUNICORN_DOES_THIS or gunicorn.lookup(name)
    )


@cache
def gunicorn_uvicorn_schema() -> OptionSchema:
    """gunicorn's options for the arbiter, uvicorn's for our worker, and advice for the
    options of either that the other one's setting replaces."""
    gunicorn = gunicorn_schema()
    split = {
        **{
            name: Refusal(SPLIT_PROBLEM, fix)
            for name, fix in GUNICORN_DOES_THIS.items()
            if gunicorn.lookup(name) is None
        },
        **{name: Refusal(SPLIT_PROBLEM, fix) for name, fix in FOR_GUNICORNS_OWN_WORKERS.items()},
    }
    return (
        gunicorn.merged_with(uvicorn_only_schema(), "gunicorn")
        .merged_with(HANDLER_OPTIONS, "gunicorn")
        .merged_with(LOG_OPTIONS, "gunicorn")
        .merged_with(HEALTH_OPTIONS, "gunicorn")
        .merged_with(METRICS_OPTIONS, "gunicorn")
        .refusing(split)
    )


def _long_names(setting: Any) -> list[str]:
    return [cli[2:] for cli in setting.cli or () if cli.startswith("--")]


def _server_option(setting: Any) -> ServerOption:
    names = _long_names(setting)
    aliases = list(names[1:])
    if not names[0].startswith("no-") and setting.name not in names:
        aliases.append(setting.name)
    takes_value = setting.action not in FLAG_ACTIONS
    return ServerOption(
        name=names[0],
        aliases=tuple(aliases),
        takes_value=takes_value,
        multiple=setting.action == "append",
        validate=_validator(setting, names[0]),
        help=setting.short or "",
    )


def _validator(setting: Any, name: str) -> Validator:
    convert = setting.type if setting.type is not None and setting.action is None else None

    def validate(value: str) -> None:
        try:
            converted = convert(value) if convert else value
            setting.validator([converted] if setting.action == "append" else converted)
        except Exception as error:
            raise InvalidValue(
                f"{value!r} is not valid for --{name} ({error})",
                f"give --{name} a whole number"
                if convert
                else f"see `gunicorn --help` for what --{name} accepts",
            ) from error

    return validate


def check_bind(value: str) -> None:
    from gunicorn.util import parse_address

    try:
        address = parse_address(value)
    except Exception as error:
        raise InvalidValue(
            f"{value!r} is not an address gunicorn can bind ({error})",
            "use 'HOST:PORT', '[IPv6]:PORT', 'unix:/path/to.sock' or 'fd://N'",
        ) from error
    if isinstance(address, tuple) and not 0 <= int(address[1]) <= 65535:
        raise InvalidValue(f"port {address[1]} is out of range", "use a port from 0 to 65535")


UVICORN_WORKER = "django_prodserver.workers.UvicornWorker"
UVICORN_H11_WORKER = "django_prodserver.workers.UvicornH11Worker"
#: Worker classes from other packages that run ASGI applications, and ours to use instead.
OURS_INSTEAD_OF = {
    "uvicorn_worker.UvicornWorker": UVICORN_WORKER,
    "uvicorn_worker.UvicornH11Worker": UVICORN_H11_WORKER,
    "uvicorn.workers.UvicornWorker": UVICORN_WORKER,
    "uvicorn.workers.UvicornH11Worker": UVICORN_H11_WORKER,
}
#: Packages whose gunicorn workers run ASGI applications.
ASGI_WORKER_PACKAGES = ("uvicorn", "uvicorn_worker", "django_prodserver")


def load_worker_class(value: str) -> Any:
    from gunicorn.util import load_class

    return load_class(value, section="gunicorn.workers")


def check_worker_class(value: str) -> None:
    try:
        load_worker_class(value)
    except Exception as error:
        ours = OURS_INSTEAD_OF.get(value)
        raise InvalidValue(
            f"worker class {value!r} cannot be loaded ({_last_line(error)})",
            f"use {ours!r} with GunicornUvicornServer, which replaces it"
            if ours
            else "use one of gunicorn's workers ('sync', 'gthread', ...) or an importable "
            "class path",
        ) from error


def is_asgi_worker(value: str) -> bool:
    """Whether the worker class runs an ASGI application (ours, uvicorn's, gunicorn's own
    ``asgi``, or a subclass of one), so that it cannot serve a WSGI one."""
    if value.split(".")[0] in ASGI_WORKER_PACKAGES:
        return True
    try:
        worker = load_worker_class(value)
    except Exception:
        return False
    asgi_bases = [base for base in _asgi_worker_bases() if base is not None]
    return isinstance(worker, type) and (
        issubclass(worker, tuple(asgi_bases))
        or worker.__module__.split(".")[0] in ASGI_WORKER_PACKAGES
    )


def _asgi_worker_bases() -> list[type | None]:
    from ...workers import UvicornWorker

    try:
        from gunicorn.workers.gasgi import ASGIWorker  # gunicorn 24 and later
    except ImportError:
        return [UvicornWorker]
    return [UvicornWorker, ASGIWorker]


def _last_line(error: BaseException) -> str:
    """gunicorn reports a class it cannot load with the whole traceback, in brackets."""
    lines = [line.strip(" []") for line in str(error).splitlines() if line.strip(" []")]
    return lines[-1] if lines else type(error).__name__


@cache
def gunicorn_wsgi_schema() -> OptionSchema:
    """gunicorn's options for GunicornServer, with advice for the ASGI handler's."""
    return (
        gunicorn_schema()
        .merged_with(LOG_OPTIONS, "gunicorn")
        .merged_with(HEALTH_OPTIONS, "gunicorn")
        .merged_with(METRICS_OPTIONS, "gunicorn")
        .refusing(refused_under_wsgi("django_prodserver.backends.gunicorn.GunicornUvicornServer"))
    )
