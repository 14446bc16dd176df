"""The one catalogue of configuration mistakes: each is run for real by
``test_command_errors.py`` (one line on stderr, exit 2, nothing started), and the documented
ones make the error table of the docs (``docs/_ext/prodserver_reference.py``)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .processes import (
    CELERY_BEAT,
    CELERY_WORKER,
    GRANIAN,
    GRANIAN_WSGI,
    GUNICORN,
    GUNICORN_UVICORN,
    MANAGEMENT_COMMAND,
    Q2_WORKER,
    RQ_WORKER,
    RUNSERVER,
    TASKS_WORKER,
    UVICORN,
    UVICORN_WSGI,
    WAITRESS,
    loopback,
    web,
)


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
    #: The module the backend's program needs (the test is skipped without it).
    needs: str | None = None

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
    # Granian
    Mistake(
        "Granian: a misspelt option",
        web({"workres": "2"}, GRANIAN),
        f"{WHERE}['ARGS']['workres']: granian has no option --workres; did you mean 'workers'?",
    ),
    Mistake(
        "Granian: an HTTP version it lacks",
        web({"http": "3"}, GRANIAN),
        f"{WHERE}['ARGS']['http']: '3' is not one of 'auto', '1', '2'",
    ),
    Mistake(
        "Granian: no workers",
        web({"workers": 0}, GRANIAN),
        f"{WHERE}['ARGS']['workers']: 0 is not in the range x>=1",
    ),
    Mistake(
        "Granian: the interface in ARGS",
        web({"interface": "rsgi"}, GRANIAN),
        f"{WHERE}['ARGS']['interface']: the backend sets the interface",
    ),
    Mistake(
        "Granian: a workers lifetime too short",
        web({"workers-lifetime": "10"}, GRANIAN),
        f"{WHERE}['ARGS']['workers-lifetime']: '10' is less than the minimum allowed value of 60 "
        "seconds; give --workers-lifetime a number in the range x>=60",
    ),
    Mistake(
        "Granian WSGI: a key file without a certificate",
        web({"ssl-key": "key.pem"}, GRANIAN_WSGI),
        f"{WHERE}['ARGS']['ssl-key']: ",
    ),
    Mistake(
        "Granian WSGI: a backlog too small",
        web({"backlog": 10}, GRANIAN_WSGI),
        f"{WHERE}['ARGS']['backlog']: 10 is not in the range x>=128",
    ),
    Mistake(
        "Granian WSGI: a boolean that is not one",
        web({"access-log": "loud"}, GRANIAN_WSGI),
        f"{WHERE}['ARGS']['access-log']: 'loud' is not a boolean",
    ),
    Mistake(
        "Granian WSGI: the factory flag",
        web({"factory": True}, GRANIAN_WSGI),
        f"{WHERE}['ARGS']['factory']: Django's ASGI_APPLICATION and WSGI_APPLICATION name an application",
    ),
    Mistake(
        "Granian WSGI: a log level it lacks",
        web({"log-level": "verbose"}, GRANIAN_WSGI),
        f"{WHERE}['ARGS']['log-level']: 'verbose' is not one of",
    ),
    # waitress
    Mistake(
        "waitress: a misspelt option",
        web({"thread": 4}, WAITRESS),
        f"{WHERE}['ARGS']['thread']: waitress-serve has no option --thread; did you mean 'threads'?",
    ),
    Mistake(
        "waitress: threads that are not a number",
        web({"threads": "many"}, WAITRESS),
        f"{WHERE}['ARGS']['threads']: 'many' is not what --threads takes",
    ),
    Mistake(
        "waitress: a boolean that is not one",
        web({"expose-tracebacks": "maybe"}, WAITRESS),
        f"{WHERE}['ARGS']['expose-tracebacks']: 'maybe' is not a boolean",
    ),
    Mistake(
        "waitress: the app factory flag",
        web({"call": True}, WAITRESS),
        f"{WHERE}['ARGS']['call']: WSGI_APPLICATION names the application itself",
    ),
    Mistake(
        "waitress: unix socket permissions that are not octal",
        web({"unix-socket-perms": "rw"}, WAITRESS),
        f"{WHERE}['ARGS']['unix-socket-perms']: 'rw' is not what --unix-socket-perms takes",
    ),
    Mistake(
        "waitress: a graceful timeout that is not seconds",
        web({"graceful-timeout": "soon"}, WAITRESS),
        f"{WHERE}['ARGS']['graceful-timeout']: 'soon' is not a number of seconds",
    ),
    # Celery
    Mistake(
        "Celery: no APP",
        {"worker": {"BACKEND": CELERY_WORKER, "ARGS": {}}},
        "PRODUCTION_PROCESSES['worker']: has no 'APP'; CeleryWorker needs 'APP'",
        argv=["worker"],
    ),
    Mistake(
        "Celery: an APP that cannot be imported",
        {"worker": {"BACKEND": CELERY_WORKER, "APP": "myproject.celery.app", "ARGS": {}}},
        "PRODUCTION_PROCESSES['worker']['APP']: 'myproject.celery.app' cannot be imported",
        argv=["worker"],
    ),
    Mistake(
        "Celery: APP is not a Celery app",
        {"worker": {"BACKEND": CELERY_WORKER, "APP": "example_project.settings.DEBUG", "ARGS": {}}},
        "PRODUCTION_PROCESSES['worker']['APP']: 'example_project.settings.DEBUG' is a bool, not a Celery app",
        argv=["worker"],
    ),
    Mistake(
        "Celery: the app in ARGS",
        web({"app": "example_project.celery.app"}, CELERY_WORKER),
        f"{WHERE}['ARGS']['app']: the Celery app is the process key 'APP'",
    ),
    Mistake(
        "Celery: a pool it lacks",
        web({"pool": "fibers"}, CELERY_WORKER),
        f"{WHERE}['ARGS']['pool']: 'fibers' is not one of",
    ),
    Mistake(
        "Celery: a log level it lacks",
        web({"loglevel": "verbose"}, CELERY_WORKER),
        f"{WHERE}['ARGS']['loglevel']: 'VERBOSE' is not one of",
    ),
    Mistake(
        "Celery: a detached worker",
        web({"detach": True}, CELERY_WORKER),
        f"{WHERE}['ARGS']['detach']: prodserver runs the process in the foreground",
    ),
    Mistake(
        "Celery: a misspelt option",
        web({"concurency": 4}, CELERY_WORKER),
        f"{WHERE}['ARGS']['concurency']: celery worker has no option --concurency; did you mean 'concurrency'?",
    ),
    Mistake(
        "Celery beat: a worker option",
        web({"concurrency": 4}, CELERY_BEAT),
        f"{WHERE}['ARGS']['concurrency']: celery beat has no option --concurrency",
    ),
    Mistake(
        "Celery beat: a max interval that is not a number",
        web({"max-interval": "often"}, CELERY_BEAT),
        f"{WHERE}['ARGS']['max-interval']: 'often' is not a valid integer",
    ),
    Mistake(
        "Celery beat: a detached scheduler",
        web({"detach": True}, CELERY_BEAT),
        f"{WHERE}['ARGS']['detach']: prodserver runs the process in the foreground",
    ),
    Mistake(
        "Celery beat: an unknown key",
        web({"schedular": "x"}, CELERY_BEAT),
        f"{WHERE}['ARGS']['schedular']: celery beat has no option --schedular; did you mean 'scheduler'?",
    ),
    Mistake(
        "Celery beat: a process key misspelt",
        {"web": {"BACKEND": CELERY_BEAT, "APPS": "example_project.celery.app"}},
        f"{WHERE}['APPS']: is not a process setting",
    ),
    # Management commands
    Mistake(
        "A management command: no COMMAND",
        {"web": {"BACKEND": MANAGEMENT_COMMAND, "ARGS": {}}},
        f"{WHERE}: has no 'COMMAND'; ManagementCommand needs 'COMMAND'",
    ),
    Mistake(
        "A management command that does not exist",
        {"web": {"BACKEND": MANAGEMENT_COMMAND, "COMMAND": "db_wroker"}},
        f"{WHERE}['COMMAND']: there is no management command 'db_wroker' in this project",
    ),
    Mistake(
        "A management command: an option it lacks",
        web({"processes": 4}, MANAGEMENT_COMMAND),
        f"{WHERE}['ARGS']['processes']: manage.py check has no option --processes",
    ),
    Mistake(
        "A management command: a choice it lacks",
        web({"fail-level": "LOUD"}, MANAGEMENT_COMMAND),
        f"{WHERE}['ARGS']['fail-level']: 'LOUD' is not one of the choices of --fail-level",
    ),
    Mistake(
        "A management command: --settings in ARGS",
        web({"settings": "x.settings"}, MANAGEMENT_COMMAND),
        f"{WHERE}['ARGS']['settings']: the command runs inside the prodserver process",
    ),
    Mistake(
        "A management command: prodserver itself",
        {"web": {"BACKEND": MANAGEMENT_COMMAND, "COMMAND": "prodserver"}},
        f"{WHERE}['COMMAND']: 'prodserver' cannot run as a process of prodserver",
    ),
    Mistake(
        "django-tasks: the predecessor's processes option",
        web({"processes": "2"}, TASKS_WORKER),
        f"{WHERE}['ARGS']['processes']: manage.py db_worker has no option --processes",
        needs="django_tasks_db",
    ),
    Mistake(
        "django-tasks: an interval that is not a number",
        web({"interval": "soon"}, TASKS_WORKER),
        f"{WHERE}['ARGS']['interval']: 'soon' is not a valid",
        needs="django_tasks_db",
    ),
    Mistake(
        "django-tasks: a verbosity out of range",
        web({"verbosity": "9"}, TASKS_WORKER),
        f"{WHERE}['ARGS']['verbosity']: '9' is not one of the choices of --verbosity",
        needs="django_tasks_db",
    ),
    Mistake(
        "django-tasks: a COMMAND beside the named backend",
        {"web": {"BACKEND": TASKS_WORKER, "COMMAND": "db_worker"}},
        f"{WHERE}['COMMAND']: is not a process setting",
        needs="django_tasks_db",
    ),
    Mistake(
        "django-tasks: a misspelt option",
        web({"queue": "default"}, TASKS_WORKER),
        f"{WHERE}['ARGS']['queue']: manage.py db_worker has no option --queue",
        needs="django_tasks_db",
    ),
    Mistake(
        "django-q2: an option qcluster lacks",
        web({"workers": "4"}, Q2_WORKER),
        f"{WHERE}['ARGS']['workers']: manage.py qcluster has no option --workers",
    ),
    Mistake(
        "django-q2: a verbosity that is not a number",
        web({"verbosity": "loud"}, Q2_WORKER),
        f"{WHERE}['ARGS']['verbosity']: 'loud' is not a valid int",
    ),
    Mistake(
        "django-q2: --settings in ARGS",
        web({"settings": "x"}, Q2_WORKER),
        f"{WHERE}['ARGS']['settings']: the command runs inside the prodserver process",
    ),
    Mistake(
        "django-q2: a boolean that is not one",
        web({"run-once": "twice"}, Q2_WORKER),
        f"{WHERE}['ARGS']['run-once']: 'twice' is not a boolean",
    ),
    Mistake(
        "django-q2: a misspelt option",
        web({"verbosty": "1"}, Q2_WORKER),
        f"{WHERE}['ARGS']['verbosty']: manage.py qcluster has no option --verbosty; did you mean 'verbosity'?",
    ),
    Mistake(
        "RQ: a misspelt option",
        web({"burts": True}, RQ_WORKER),
        f"{WHERE}['ARGS']['burts']: manage.py rqworker has no option --burts; did you mean 'burst'?",
    ),
    Mistake(
        "RQ: a job limit that is not a number",
        web({"max-jobs": "many"}, RQ_WORKER),
        f"{WHERE}['ARGS']['max-jobs']: 'many' is not a valid int",
    ),
    Mistake(
        "RQ: a worker TTL that is not a number",
        web({"worker-ttl": "forever"}, RQ_WORKER),
        f"{WHERE}['ARGS']['worker-ttl']: 'forever' is not a valid int",
    ),
    Mistake(
        "RQ: a verbosity out of range",
        web({"verbosity": "7"}, RQ_WORKER),
        f"{WHERE}['ARGS']['verbosity']: '7' is not one of the choices of --verbosity",
    ),
    Mistake(
        "RQ: an unknown key",
        web({"queues": ["default"]}, RQ_WORKER),
        f"{WHERE}['ARGS']['queues']: manage.py rqworker has no option --queues",
    ),
    Mistake(
        "runserver: an address that is not one",
        web({"addrport": "localhost:eighty"}, RUNSERVER),
        f"{WHERE}['ARGS']",
    ),
    Mistake(
        "runserver: an option it lacks",
        web({"workers": "2"}, RUNSERVER),
        f"{WHERE}['ARGS']['workers']: manage.py runserver has no option --workers",
    ),
    Mistake(
        "runserver: a boolean that is not one",
        web({"noreload": "sometimes"}, RUNSERVER),
        f"{WHERE}['ARGS']['noreload']: 'sometimes' is not a boolean",
    ),
    Mistake(
        "runserver: --pythonpath in ARGS",
        web({"pythonpath": "/srv"}, RUNSERVER),
        f"{WHERE}['ARGS']['pythonpath']: the command runs inside the prodserver process",
    ),
    Mistake(
        "runserver: a misspelt option",
        web({"nothreading": "True", "ipv": True}, RUNSERVER),
        f"{WHERE}['ARGS']['ipv']: manage.py runserver has no option --ipv; did you mean 'ipv6'?",
    ),
    Mistake(
        "ASGI handler: a handler that is not one",
        web({"asgi-handler": "fast"}),
        f"{WHERE}['ARGS']['asgi-handler']: 'fast' is not an ASGI handler; use 'prodserver'",
    ),
    Mistake(
        "ASGI handler: sync-threads without it",
        web({"sync-threads": 4}, GUNICORN_UVICORN),
        f"{WHERE}['ARGS']['sync-threads']: sizes the thread pool of prodserver's ASGI handler, "
        "which is not on; add 'asgi-handler': 'prodserver'",
    ),
    Mistake(
        "ASGI handler: no threads",
        web({"asgi-handler": "prodserver", "sync-threads": 0}, GRANIAN),
        f"{WHERE}['ARGS']['sync-threads']: '0' is not a number of threads; give 1 or more",
        needs="granian",
    ),
    Mistake(
        "ASGI handler on a WSGI backend (uvicorn)",
        web({"asgi-handler": "prodserver"}, UVICORN_WSGI),
        f"{WHERE}['ARGS']['asgi-handler']: chooses the Django handler for ASGI, and "
        "UvicornWSGIServer serves WSGI_APPLICATION",
    ),
    Mistake(
        "ASGI handler on a WSGI backend (gunicorn)",
        web({"asgi-handler": "prodserver"}, GUNICORN),
        f"{WHERE}['ARGS']['asgi-handler']: chooses Django's ASGI handler, and this backend "
        "serves WSGI_APPLICATION; remove it, or use "
        "django_prodserver.backends.gunicorn.GunicornUvicornServer",
    ),
    Mistake(
        "ASGI handler on a WSGI backend (Granian)",
        web({"sync-threads": 4}, GRANIAN_WSGI),
        f"{WHERE}['ARGS']['sync-threads']: chooses Django's ASGI handler, and this backend "
        "serves WSGI_APPLICATION; remove it, or use "
        "django_prodserver.backends.granian.GranianASGIServer",
        needs="granian",
    ),
    Mistake(
        "Logs: a log format that is not one",
        web({"log-format": "yaml"}, GUNICORN),
        f"{WHERE}['ARGS']['log-format']: 'yaml' is not a log format; use 'json'",
    ),
    Mistake(
        "Logs: an access format that is not a format",
        web({"access-log-format": "%(h)s %(s)"}),
        f"{WHERE}['ARGS']['access-log-format']: '%(h)s %(s)' is not a format of named atoms",
    ),
    Mistake(
        "Logs: an access format without named atoms",
        web({"access-log-format": "%s %s"}, WAITRESS),
        f"{WHERE}['ARGS']['access-log-format']: '%s %s' is not a format of named atoms",
        needs="waitress",
    ),
    Mistake(
        "Logs: an atom Granian has no field for",
        web({"access-log-format": "%(h)s %(b)s %({x-id}o)s"}, GRANIAN),
        f"{WHERE}['ARGS']['access-log-format']: Granian has no field for %(b)s, %({{x-id}}o)s; "
        "use the atoms Granian can write",
        needs="granian",
    ),
    Mistake(
        "Logs: Granian's format and ours both",
        web({"access-log-format": "%(h)s", "access-log-fmt": "%(addr)s"}, GRANIAN_WSGI),
        f"{WHERE}['ARGS']['access-log-format']: and 'access-log-fmt' both set Granian's "
        "access line; keep one",
        needs="granian",
    ),
    Mistake(
        "Logs: JSON lines with a logger class of one's own",
        web({"log-format": "json", "logger-class": "tests.custom_loggers.TaggingLogger"}, GUNICORN),
        f"{WHERE}['ARGS']['logger-class']: replaces gunicorn's logger, and 'log-format': 'json' "
        "needs prodserver's; remove 'logger-class'",
        documented=False,
    ),
    Mistake(
        "Logs: a request-id header that is not a header name",
        web({"log-format": "json", "request-id-header": "x request id"}, GUNICORN_UVICORN),
        f"{WHERE}['ARGS']['request-id-header']: 'x request id' is not a header name",
    ),
    Mistake(
        "Health: a readiness path that is not a path",
        web({"readiness-path": "readyz"}, GUNICORN),
        f"{WHERE}['ARGS']['readiness-path']: 'readyz' is not a path the server can answer "
        "itself; give a path such as '/readyz'",
    ),
    Mistake(
        "Health: one path for liveness and readiness",
        web({"liveness-path": "/healthz", "readiness-path": "/healthz"}),
        f"{WHERE}['ARGS']['readiness-path']: is '/healthz', the liveness path too",
    ),
    Mistake(
        "Drain: a delay in milliseconds",
        web(
            {"drain-delay": "5000"},
            GRANIAN,
        ),
        f"{WHERE}['ARGS']['drain-delay']: '5000' is not a number of seconds from 0 to 600",
        needs="granian",
    ),
    Mistake(
        "Metrics: an address that is not one",
        web({"metrics-bind": "9100"}),
        f"{WHERE}['ARGS']['metrics-bind']: '9100' is not an address to serve metrics on; "
        "give a loopback host:port",
    ),
    Mistake(
        "Metrics: on the server's own port",
        web({"bind": "127.0.0.1:8000", "metrics-bind": "127.0.0.1:8000"}, GUNICORN),
        f"{WHERE}['ARGS']['metrics-bind']: is port 8000, where the server itself listens; "
        "give the metrics a port of their own",
    ),
]
