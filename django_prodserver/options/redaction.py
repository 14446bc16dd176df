"""Secret values (passwords, secrets, tokens, keys, credentials) shown as ``***`` wherever we
print them: ``--dry-run``, ``--list``, the banner and error messages."""

from __future__ import annotations

SECRET_WORDS = ("password", "secret", "token")
#: Also secret in the name of an environment variable given as an option's value
#: (gunicorn's ``--env API_KEY=...``); an option called ``--keyfile`` is a path.
SECRET_VARIABLE_WORDS = (*SECRET_WORDS, "key", "credential")
MASK = "***"


def is_secret(option_name: str) -> bool:
    name = option_name.lower()
    return any(word in name for word in SECRET_WORDS)


def is_secret_variable(variable_name: str) -> bool:
    name = variable_name.lower()
    return any(word in name for word in SECRET_VARIABLE_WORDS)


def redacted_assignment(text: str) -> str:
    """``API_TOKEN=abc`` → ``API_TOKEN=***``; other assignments and text unchanged."""
    name, equals, _ = text.partition("=")
    return f"{name}={MASK}" if equals and is_secret_variable(name) else text


def redacted(argv: list[str]) -> list[str]:
    """``--ssl-keyfile-password=hunter2`` → ``--ssl-keyfile-password=***``; a secret given as
    the next argument (``--ssl-keyfile-password hunter2``) is masked too, and so is the value
    of a secret-looking variable in an assignment (``--env=API_TOKEN=abc``)."""
    shown: list[str] = []
    mask_next = False
    for argument in argv:
        if mask_next:
            shown.append(MASK)
            mask_next = False
            continue
        name, equals, value = argument.partition("=")
        if name.startswith("-") and is_secret(name):
            if equals:
                shown.append(f"{name}={MASK}")
                continue
            mask_next = True
        elif equals and name.startswith("-"):
            argument = f"{name}={redacted_assignment(value)}"
        elif not name.startswith("-"):
            argument = redacted_assignment(argument)
        shown.append(argument)
    return shown
