"""Granian's options, read from its own click command, under its CLI names and under the
names of its Python API that the predecessor project's ARGS used (``address``,
``threads``, ``log-access``, ``ssl-cert``, ``ssl-key``), so that those settings keep working."""

from __future__ import annotations

from functools import cache

from ...errors import BackendError
from ...options.readers.click import schema_from_click
from ...options.schema import OptionSchema, Refusal
from ..asgi_handler import HANDLER_OPTIONS, refused_under_wsgi
from ..health_options import HEALTH_OPTIONS
from ..log_options import LOG_OPTIONS_WITH_ACCESS_FORMAT
from ..metrics_options import METRICS_OPTIONS
from ..tls import TLSOptions

INSTALL_HINT = "pip install 'django-prodserver[granian]'"
#: The environment variables Granian's command reads for options not given.
ENVIRONMENT_PREFIX = "GRANIAN"
GRANIAN_TLS = TLSOptions(
    certfile="ssl-certificate",
    keyfile="ssl-keyfile",
    ca_certs="ssl-ca",
    ciphers=None,
    password="ssl-keyfile-password",
)
#: Granian's Python API names (``Granian(address=..., blocking_threads=...)``), as the
#: predecessor project's Granian backend took them in ARGS.
PYTHON_API_NAMES = {
    "host": ("address",),
    "blocking-threads": ("threads",),
    "access-log": ("log-access",),
    "log": ("log-enabled",),
    "ssl-certificate": ("ssl-cert",),
    "ssl-keyfile": ("ssl-key",),
    "ssl-keyfile-password": ("ssl-key-password",),
    "ws": ("websockets",),
}
REFUSED = {
    "interface": Refusal(
        "the backend sets the interface (GranianASGIServer: asgi, GranianWSGIServer: wsgi)",
        "remove it, and choose the backend for your application instead",
    ),
    "version": Refusal("only prints Granian's version", "remove it"),
    "factory": Refusal(
        "Django's ASGI_APPLICATION and WSGI_APPLICATION name an application, not a factory",
        "remove it",
    ),
}


@cache
def granian_schema() -> OptionSchema:
    try:
        from granian.cli import cli
    except ImportError as error:
        raise BackendError(
            ("BACKEND",), f"needs Granian, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    return (
        schema_from_click(cli, "granian")
        .with_aliases(PYTHON_API_NAMES)
        .merged_with(LOG_OPTIONS_WITH_ACCESS_FORMAT, "granian")
        .merged_with(HEALTH_OPTIONS, "granian")
        .merged_with(METRICS_OPTIONS, "granian")
        .refusing(REFUSED)
    )


@cache
def granian_asgi_schema() -> OptionSchema:
    """Granian's options, and the choice of Django handler (``asgi_handler.py``)."""
    return granian_schema().merged_with(HANDLER_OPTIONS, "granian")


@cache
def granian_wsgi_schema() -> OptionSchema:
    return granian_schema().refusing(
        refused_under_wsgi("django_prodserver.backends.granian.GranianASGIServer")
    )
