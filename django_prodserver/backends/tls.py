"""Load a server's TLS files once before start, so a mistake is one line, not a failed start."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

from ..errors import TLSFilesError
from ..options.translation import TranslatedArgs


@dataclass(frozen=True)
class TLSOptions:
    """What a server calls each TLS option; ``password`` is None where it has none."""

    certfile: str
    keyfile: str
    ca_certs: str
    ciphers: str | None
    password: str | None


def check_tls(translated: TranslatedArgs, names: TLSOptions) -> None:
    values = translated.values
    certfile, keyfile = values.get(names.certfile), values.get(names.keyfile)
    if not certfile and not keyfile:
        return
    if not certfile:
        raise TLSFilesError(
            translated.where(names.keyfile),
            f"is set without {names.certfile!r}",
            f"add {names.certfile!r} with the certificate that belongs to this key",
        )
    for option in (names.certfile, names.keyfile, names.ca_certs):
        path = values.get(option)
        if path and not os.path.isfile(str(path)):
            raise TLSFilesError(
                translated.where(option),
                f"{path!r} is not a file",
                f"give the path of the PEM file (relative paths start from {os.getcwd()})",
            )
    password = values.get(names.password) if names.password else None
    key_source = names.keyfile if keyfile else names.certfile
    if not password and _is_encrypted_key(str(keyfile or certfile)):
        fix = (
            f"add {names.password!r} (OpenSSL would otherwise stop to ask for it)"
            if names.password
            else "this server takes no key password: give it an unencrypted key"
        )
        raise TLSFilesError(
            translated.where(key_source),
            "holds an encrypted private key but no password is set",
            fix,
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(
            str(certfile), str(keyfile) if keyfile else None, str(password) if password else None
        )
        if values.get(names.ca_certs):
            context.load_verify_locations(str(values[names.ca_certs]))
        if names.ciphers and values.get(names.ciphers):
            context.set_ciphers(str(values[names.ciphers]))
    except (OSError, ssl.SSLError, ValueError) as error:
        raise TLSFilesError(
            translated.where(names.certfile),
            f"TLS could not be set up from these files ({error})",
            "check that the certificate, key and password belong together",
        ) from error


def _is_encrypted_key(path: str) -> bool:
    try:
        with open(path, "rb") as pem:
            return b"ENCRYPTED" in pem.read(1 << 20)
    except OSError:
        return False
