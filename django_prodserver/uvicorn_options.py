"""uvicorn's options, read from its own click command, plus the checks its parser leaves
to start-up time (where they fail with a traceback or, for the port, not at all)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from functools import cache

from .click_schema import schema_from_click
from .errors import ConfigurationError
from .options import InvalidValue, OptionSchema, Validator
from .translation import TranslatedArgs

INSTALL_HINT = "pip install 'django-prodserver[uvicorn]'"


@cache
def uvicorn_schema() -> OptionSchema:
    try:
        from uvicorn.main import main as uvicorn_command
    except ImportError as error:
        raise ConfigurationError(
            ("BACKEND",), f"needs uvicorn, which cannot be imported ({error})", INSTALL_HINT
        ) from error
    from uvicorn.config import HTTP_PROTOCOLS, LOOP_FACTORIES, WS_PROTOCOLS

    schema = schema_from_click(uvicorn_command, "uvicorn")
    return schema.with_checks(
        {
            "port": check_port,
            "loop": implementation_check("loop", LOOP_FACTORIES),
            "http": implementation_check("http", HTTP_PROTOCOLS),
            "ws": implementation_check("ws", WS_PROTOCOLS),
        }
    )


def check_port(value: str) -> None:
    if not 0 <= int(value) <= 65535:
        raise InvalidValue(
            f"{value} is out of range (uvicorn would silently bind another port)",
            "use a port from 0 to 65535",
        )


def implementation_check(option: str, known: Mapping[str, str | None]) -> Validator:
    def check(value: str) -> None:
        if value not in known and ":" not in value:
            raise InvalidValue(
                f"{value!r} is not a uvicorn {option} implementation",
                "use one of "
                + ", ".join(repr(name) for name in known)
                + " or an import string 'module:attribute'",
            )
        _check_importable(option, value, known.get(value, value))

    return check


def _check_importable(option: str, value: str, import_string: str | None) -> None:
    if import_string is None:
        return
    from uvicorn.importer import ImportFromStringError, import_from_string

    try:
        import_from_string(import_string)
    except (ImportError, ImportFromStringError) as error:
        raise InvalidValue(
            f"{option} {value!r} cannot be loaded ({error})",
            f"install what it needs ({INSTALL_HINT}) or choose another {option}",
        ) from error


def check_uvicorn_combination(translated: TranslatedArgs) -> None:
    """Checks across options: reload with workers, and TLS material that actually loads."""
    values = translated.values
    workers = int(str(values.get("workers", "1")))
    if values.get("reload") is True and workers > 1:
        raise ConfigurationError(
            translated.where("workers"),
            f"{workers} workers cannot run with reload (uvicorn would ignore workers)",
            "remove 'reload' for production, or 'workers' for development",
        )
    _check_tls(translated)


def _check_tls(translated: TranslatedArgs) -> None:
    values = translated.values
    certfile = values.get("ssl-certfile")
    keyfile = values.get("ssl-keyfile")
    if not certfile and not keyfile:
        return
    if not certfile:
        raise ConfigurationError(
            translated.where("ssl-keyfile"),
            "is set without 'ssl-certfile'",
            "add 'ssl-certfile' with the certificate that belongs to this key",
        )
    for option in ("ssl-certfile", "ssl-keyfile", "ssl-ca-certs"):
        path = values.get(option)
        if path and not os.path.isfile(str(path)):
            raise ConfigurationError(
                translated.where(option),
                f"{path!r} is not a file",
                f"give the path of the PEM file (relative paths start from {os.getcwd()})",
            )
    from uvicorn.config import SSL_PROTOCOL_VERSION, create_ssl_context

    password = values.get("ssl-keyfile-password")
    if not password and _is_encrypted_key(str(keyfile or certfile)):
        raise ConfigurationError(
            translated.where("ssl-keyfile" if keyfile else "ssl-certfile"),
            "holds an encrypted private key but no 'ssl-keyfile-password' is set",
            "add 'ssl-keyfile-password' (OpenSSL would otherwise stop to ask for it)",
        )
    try:
        create_ssl_context(
            certfile=str(certfile),
            keyfile=str(keyfile) if keyfile else None,
            password=str(password) if password else None,
            ssl_version=int(str(values.get("ssl-version", int(SSL_PROTOCOL_VERSION)))),
            cert_reqs=int(str(values.get("ssl-cert-reqs", ssl.CERT_NONE))),
            ca_certs=str(values["ssl-ca-certs"]) if values.get("ssl-ca-certs") else None,
            ciphers=str(values["ssl-ciphers"]) if values.get("ssl-ciphers") else None,
        )
    except (OSError, ssl.SSLError, ValueError) as error:
        raise ConfigurationError(
            translated.where("ssl-certfile"),
            f"TLS could not be set up from these files ({_describe(error)})",
            "check that ssl-certfile, ssl-keyfile and ssl-keyfile-password belong together",
        ) from error


def _is_encrypted_key(path: str) -> bool:
    try:
        with open(path, "rb") as pem:
            return b"ENCRYPTED" in pem.read(1 << 20)
    except OSError:
        return False


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__
