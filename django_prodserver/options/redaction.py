"""Secret option values (passwords, secrets, tokens) shown as ``***`` wherever we print them."""

from __future__ import annotations

SECRET_WORDS = ("password", "secret", "token")
MASK = "***"


def is_secret(option_name: str) -> bool:
    name = option_name.lower()
    return any(word in name for word in SECRET_WORDS)


def redacted(argv: list[str]) -> list[str]:
    """``--ssl-keyfile-password=hunter2`` → ``--ssl-keyfile-password=***``; a secret given as
    the next argument (``--ssl-keyfile-password hunter2``) is masked too."""
    shown: list[str] = []
    mask_next = False
    for argument in argv:
        if mask_next:
            shown.append(MASK)
            mask_next = False
            continue
        name, equals, _ = argument.partition("=")
        if name.startswith("--") and is_secret(name):
            if equals:
                shown.append(f"{name}={MASK}")
                continue
            mask_next = True
        shown.append(argument)
    return shown
