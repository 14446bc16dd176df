"""A small, real project served by django-prodserver: ``python manage.py prodserver web``."""

import os
from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prodserver",
    "example_project",
]
# The task queues' apps, where installed (pip install -e ".[all]" installs them all).
TASK_QUEUE_APPS = {
    "django_tasks_db": "django_tasks_db",
    "django_q": "django_q",
    "django_rq": "django_rq",
}
INSTALLED_APPS += [app for app, module in TASK_QUEUE_APPS.items() if find_spec(module)]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
ASGI_APPLICATION = "example_project.asgi.application"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DATABASE_PATH", BASE_DIR / "db.sqlite3"),
    }
}

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# $HOST and $PORT, as set by container images and Heroku-style platforms.
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
# Behind nginx: the socket nginx proxies to (systemd's socket unit passes it instead).
SOCKET_PATH = os.environ.get("PRODSERVER_SOCKET", "/run/prodserver/web.sock")
# Seconds in-flight requests get after SIGTERM; Kubernetes' terminationGracePeriodSeconds
# and systemd's TimeoutStopSec leave room for it (example_project/deploy/).
GRACEFUL_TIMEOUT = 20
# Seconds to keep serving after SIGTERM, the readiness path answering 503, while a load
# balancer or Kubernetes stops sending requests here; part of GRACEFUL_TIMEOUT. 0 stops at
# once (the Kubernetes manifest sets 5).
DRAIN_DELAY = os.environ.get("DRAIN_DELAY", "0")

# The task queues: Redis for Celery and RQ, the database for Django's tasks and django-q2.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True  # a job a worker never finished is given to another
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
RQ_QUEUES = {"default": {"URL": REDIS_URL}}
Q_CLUSTER = {"name": "example", "workers": 1, "orm": "default", "timeout": 60, "retry": 120}

PRODUCTION_PROCESSES = {
    "web": {
        "BACKEND": "django_prodserver.backends.uvicorn.UvicornServer",
        "ARGS": {
            "host": HOST,
            "port": PORT,
            "timeout-graceful-shutdown": GRACEFUL_TIMEOUT,
            # Answered by the server itself, before Django: cheap, no database, any Host.
            "liveness-path": "/livez",
            "readiness-path": "/readyz",
            "drain-delay": DRAIN_DELAY,
        },
    },
    "web-behind-nginx": {
        "BACKEND": "django_prodserver.backends.uvicorn.UvicornServer",
        "ARGS": {
            "uds": SOCKET_PATH,
            # Only the owner and nginx's group may connect, which is what makes it safe
            # to trust the proxy headers of every peer on this socket.
            "uds-mode": "660",
            "forwarded-allow-ips": "*",
            "workers": os.environ.get("WEB_CONCURRENCY", "2"),
            "timeout-graceful-shutdown": GRACEFUL_TIMEOUT,
            # nginx keeps idle upstream connections for 60 s: outlive them (W005).
            "timeout-keep-alive": 65,
        },
    },
    "web-wsgi": {
        "BACKEND": "django_prodserver.backends.uvicorn.UvicornWSGIServer",
        "ARGS": {"host": "127.0.0.1", "port": PORT},
    },
    "web-gunicorn": {
        "BACKEND": "django_prodserver.backends.gunicorn.GunicornUvicornServer",
        "ARGS": {"bind": f"127.0.0.1:{PORT}", "workers": "2"},
    },
    "web-gunicorn-wsgi": {
        "BACKEND": "django_prodserver.backends.gunicorn.GunicornServer",
        "ARGS": {
            "bind": f"127.0.0.1:{PORT}",
            "workers": "2",
            "worker-class": "gthread",
            "threads": "4",
        },
    },
}

# The other web servers, and Django's development server for a `dev` process.
OTHER_SERVERS = {
    "web-granian": (
        "granian",
        {
            "BACKEND": "django_prodserver.backends.granian.GranianASGIServer",
            "ARGS": {"host": "127.0.0.1", "port": PORT},
        },
    ),
    "web-granian-wsgi": (
        "granian",
        {
            "BACKEND": "django_prodserver.backends.granian.GranianWSGIServer",
            "ARGS": {"host": "127.0.0.1", "port": PORT, "blocking-threads": "4"},
        },
    ),
    "web-waitress": (
        "waitress",
        {
            "BACKEND": "django_prodserver.backends.waitress.WaitressServer",
            "ARGS": {"host": "127.0.0.1", "port": PORT, "threads": "8"},
        },
    ),
    "dev": (
        "django",
        {
            "BACKEND": "django_prodserver.backends.management.RunServer",
            "ARGS": {"addrport": f"127.0.0.1:{PORT}"},
        },
    ),
}
# One process for each task queue whose package is installed.
WORKERS = {
    "worker": (
        "celery",
        {
            "BACKEND": "django_prodserver.backends.celery.CeleryWorker",
            "APP": "example_project.celery.app",
            "ARGS": {"concurrency": "2", "loglevel": "info"},
        },
    ),
    "beat": (
        "celery",
        {
            "BACKEND": "django_prodserver.backends.celery.CeleryBeat",
            "APP": "example_project.celery.app",
            "ARGS": {
                "loglevel": "info",
                "schedule": os.environ.get(
                    "CELERY_BEAT_SCHEDULE", "/tmp/example-celerybeat-schedule"
                ),
            },
        },
    ),
    "tasks-worker": (
        "django_tasks_db",
        {
            "BACKEND": "django_prodserver.backends.django_tasks.DjangoTasksWorker",
            "ARGS": {"interval": "0.1"},
        },
    ),
    "rq-worker": (
        "django_rq",
        {"BACKEND": "django_prodserver.backends.rq.RQWorker", "ARGS": {"args": ["default"]}},
    ),
    "q2-worker": (
        "django_q",
        {
            "BACKEND": "django_prodserver.backends.django_q2.DjangoQ2Worker",
            "ARGS": {"verbosity": "1"},
        },
    ),
}
PRODUCTION_PROCESSES.update(
    {
        name: process
        for name, (module, process) in {**OTHER_SERVERS, **WORKERS}.items()
        if find_spec(module)
    }
)
