"""The one catalogue of configuration mistakes: each is run for real by
``test_command_errors.py`` (one line on stderr, exit 2, nothing started), and the documented
ones make the error table of the docs (``docs/_ext/prodserver_reference.py``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .processes import GUNICORN, GUNICORN_UVICORN, UVICORN, UVICORN_WSGI, loopback, web


@dataclass(frozen=True)
class Mistake:
    title: str
    #: PRODUCTION_PROCESSES ("absent" removes the setting).
    processes: Any
    #: The start of the line prodserver prints, after "CommandError: ".
    expected: str
    #: Other settings.
    settings: dict[str, Any] = field(default_factory=dict)
    #: prodserver's own arguments (a process name).
    argv: list[str] = field(default_factory=list)
    #: In the docs' table (not when it names this test suite's own modules).
    documented: bool = True

    def on_port(self, port: int) -> Any:
        """The processes, each listening on ``port`` unless the mistake says where, so that
        a test can tell nothing started there."""
        processes = copy.deepcopy(self.processes)
        if isinstance(processes, dict):
            for entry in processes.values():
                if isinstance(entry, dict) and isinstance(entry.get("ARGS"), dict):
                    backend = entry.get("BACKEND")
                    for key, value in loopback(str(backend), port).items():
                        entry["ARGS"].setdefault(key, value)
        return processes


WHERE = "PRODUCTION_PROCESSES['web']"
SPLIT = "is not for GunicornUvicornServer, where gunicorn and our uvicorn worker split the options"

MISTAKES = [
    Mistake("The setting is missing", "absent", "PRODUCTION_PROCESSES: is not set;"),
    Mistake("The setting is empty", {}, "PRODUCTION_PROCESSES: is empty;"),
    Mistake("The setting is not a dict", [UVICORN], "PRODUCTION_PROCESSES: must be a dict"),
    Mistake("A process is not a dict", {"web": UVICORN}, f"{WHERE}: must be a dict"),
    Mistake(
        "No process by that name",
        web(),
        "PRODUCTION_PROCESSES: has no process named 'wbe'; did you mean 'web'?",
        argv=["wbe"],
    ),
    Mistake("A process has no BACKEND", {"web": {"ARGS": {}}}, f"{WHERE}: has no 'BACKEND'"),
    Mistake(
        "BACKEND is not a dotted path",
        {"web": {"BACKEND": "UvicornServer"}},
        f"{WHERE}['BACKEND']: 'UvicornServer' is not a dotted path",
    ),
    Mistake(
        "BACKEND's module is missing",
        {"web": {"BACKEND": "myproject.servers.Server"}},
        f"{WHERE}['BACKEND']: module 'myproject.servers' cannot be imported",
    ),
    Mistake(
        "BACKEND names no class there",
        {"web": {"BACKEND": "django_prodserver.backends.uvicorn.Nope"}},
        f"{WHERE}['BACKEND']: module 'django_prodserver.backends.uvicorn' has no attribute 'Nope'",
    ),
    Mistake(
        "BACKEND is a class but not a backend",
        {"web": {"BACKEND": "tests.custom_backends.NotABackend"}},
        f"{WHERE}['BACKEND']: 'tests.custom_backends.NotABackend' is a class "
        "but not a server backend",
        documented=False,
    ),
    Mistake(
        "BACKEND is a function",
        {"web": {"BACKEND": "tests.custom_backends.not_a_backend"}},
        f"{WHERE}['BACKEND']: 'tests.custom_backends.not_a_backend' is a "
        "function but not a server backend",
        documented=False,
    ),
    Mistake(
        "ARGS is not a dict",
        {"web": {"BACKEND": UVICORN, "ARGS": "--port=8000"}},
        f"{WHERE}['ARGS']: must be a dict of server options, not str",
    ),
    Mistake(
        "A misspelt option",
        web({"prot": "8000"}),
        f"{WHERE}['ARGS']['prot']: uvicorn has no option --prot; did you mean 'port'?",
    ),
    Mistake(
        "An option the server does not have",
        web({"threads": "4"}),
        f"{WHERE}['ARGS']['threads']: uvicorn has no option --threads;",
    ),
    Mistake(
        "A value of the wrong type",
        web({"workers": "four"}),
        f"{WHERE}['ARGS']['workers']: 'four' is not a valid integer",
    ),
    Mistake(
        "A port out of range",
        web({"port": "99999"}),
        f"{WHERE}['ARGS']['port']: 99999 is out of range",
    ),
    Mistake(
        "A choice the server does not offer",
        web({"loop": "trio"}),
        # uvicorn 0.30's --loop is a click Choice; later uvicorn takes any loop name.
        f"{WHERE}['ARGS']['loop']: 'trio' is not ",
    ),
    Mistake(
        "A level the server does not have",
        web({"log-level": "verbose"}),
        f"{WHERE}['ARGS']['log-level']: 'verbose' is not one of",
    ),
    Mistake(
        "A flag given a non-boolean",
        web({"access-log": "sometimes"}),
        f"{WHERE}['ARGS']['access-log']: 'sometimes' is not a boolean",
    ),
    Mistake(
        "A list for an option taken once",
        web({"port": ["8000", "8001"]}),
        f"{WHERE}['ARGS']['port']: --port takes one value, not a list",
    ),
    Mistake(
        "The same option under two spellings",
        web({"log-level": "info", "log_level": "debug"}),
        f"{WHERE}['ARGS']['log_level']: sets --log-level again (already set by 'log-level')",
    ),
    Mistake(
        "reload with workers",
        web({"reload": "True", "workers": "2"}),
        f"{WHERE}['ARGS']['workers']: 2 workers cannot run with reload",
    ),
    Mistake(
        "uds-mode without uds",
        web({"uds-mode": "660"}),
        f"{WHERE}['ARGS']['uds-mode']: sets the mode of the 'uds' socket file, and no 'uds' is set",
    ),
    Mistake(
        "A uds-mode that is not a mode",
        web({"uds": "/run/web.sock", "uds-mode": "rw-rw----"}),
        f"{WHERE}['ARGS']['uds-mode']: 'rw-rw----' is not a file mode",
    ),
    Mistake(
        "A uds in a missing directory",
        web({"uds": "/nonexistent-prodserver/web.sock"}),
        f"{WHERE}['ARGS']['uds']: the directory /nonexistent-prodserver does not exist",
    ),
    Mistake(
        "An fd that is not open",
        web({"fd": "97"}),
        f"{WHERE}['ARGS']['fd']: file descriptor 97 is not an open socket",
    ),
    Mistake(
        "A TLS certificate that does not exist",
        web({"ssl-certfile": "/etc/ssl/missing.pem"}),
        f"{WHERE}['ARGS']['ssl-certfile']: '/etc/ssl/missing.pem' is not a file",
    ),
    Mistake(
        "The WSGI backend with interface asgi3",
        web({"interface": "asgi3"}, UVICORN_WSGI),
        f"{WHERE}['ARGS']['interface']: UvicornWSGIServer always runs with --interface=wsgi",
    ),
    Mistake(
        "ASGI_APPLICATION and WSGI_APPLICATION missing",
        web(),
        "ASGI_APPLICATION: is not set;",
        settings={"ASGI_APPLICATION": None, "WSGI_APPLICATION": None},
    ),
    Mistake(
        "ASGI_APPLICATION missing, no asgi module next to WSGI_APPLICATION",
        web(),
        "ASGI_APPLICATION: is not set, and 'tests.asgi.application' (next to WSGI_APPLICATION) "
        "could not be imported",
        settings={"ASGI_APPLICATION": None, "WSGI_APPLICATION": "tests.wsgi.application"},
        documented=False,
    ),
    Mistake(
        "ASGI_APPLICATION not importable",
        web(),
        "ASGI_APPLICATION: 'myproject.asgi.app' could not be imported",
        settings={"ASGI_APPLICATION": "myproject.asgi.app"},
    ),
    Mistake(
        "WSGI_APPLICATION missing",
        web(backend=UVICORN_WSGI),
        "WSGI_APPLICATION: is not set;",
        settings={"WSGI_APPLICATION": None},
    ),
    Mistake(
        "A uvicorn option gunicorn owns",
        web({"port": "8000"}, GUNICORN_UVICORN),
        f"{WHERE}['ARGS']['port']: {SPLIT}; use 'bind'",
    ),
    Mistake(
        "A gunicorn worker option our worker ignores",
        web({"threads": "4"}, GUNICORN_UVICORN),
        f"{WHERE}['ARGS']['threads']: {SPLIT}; our uvicorn worker runs one event loop",
    ),
    Mistake(
        "A WSGI worker class under GunicornUvicornServer",
        web({"worker-class": "sync"}, GUNICORN_UVICORN),
        f"{WHERE}['ARGS']['worker-class']: 'sync' runs WSGI applications, and "
        "GunicornUvicornServer serves ASGI_APPLICATION; use "
        "django_prodserver.backends.gunicorn.GunicornServer",
    ),
    Mistake(
        "Our ASGI worker under GunicornServer",
        web({"worker-class": "django_prodserver.workers.UvicornWorker"}, GUNICORN),
        f"{WHERE}['ARGS']['worker-class']: 'django_prodserver.workers.UvicornWorker' runs ASGI "
        "applications, and GunicornServer serves WSGI_APPLICATION (every request would fail); "
        "use django_prodserver.backends.gunicorn.GunicornUvicornServer",
    ),
    Mistake(
        "The classic uvicorn recipe's worker under GunicornServer",
        web({"worker-class": "uvicorn.workers.UvicornWorker"}, GUNICORN),
        f"{WHERE}['ARGS']['worker-class']: 'uvicorn.workers.UvicornWorker' runs ASGI applications",
    ),
    Mistake(
        "uvicorn-worker's worker under GunicornUvicornServer",
        web({"worker-class": "uvicorn.workers.UvicornWorker"}, GUNICORN_UVICORN),
        f"{WHERE}['ARGS']['worker-class']: 'uvicorn.workers.UvicornWorker' is uvicorn's "
        "worker; GunicornUvicornServer runs our own; use 'django_prodserver.workers.UvicornWorker'",
    ),
    Mistake(
        "A gunicorn config-file setting in ARGS",
        web({"on_starting": "x"}, GUNICORN),
        f"{WHERE}['ARGS']['on_starting']: is a gunicorn setting with no command-line option",
    ),
    Mistake(
        "uds-mode under gunicorn",
        web({"uds-mode": "660"}, GUNICORN),
        f"{WHERE}['ARGS']['uds-mode']: is an option of the uvicorn backends; use 'umask'",
    ),
]
