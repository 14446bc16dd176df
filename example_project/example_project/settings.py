"""A small, real project served by django-prodserver: ``python manage.py prodserver web``."""

import os
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

PRODUCTION_PROCESSES = {
    "web": {
        "BACKEND": "django_prodserver.backends.uvicorn.UvicornServer",
        "ARGS": {"host": HOST, "port": PORT, "timeout-graceful-shutdown": GRACEFUL_TIMEOUT},
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
