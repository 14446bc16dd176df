"""Find the project's ASGI or WSGI application from its setting, as an import string."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings

from ..errors import ApplicationError


def application_import_string(setting: str) -> str:
    """``'mysite.asgi.application'`` in ``setting`` → ``'mysite.asgi:application'``, imported
    once here so that a mistake is reported before any server starts."""
    kind = "ASGI" if setting.startswith("ASGI") else "WSGI"
    example = f"e.g. {setting} = 'mysite.{kind.lower()}.application'"
    path = getattr(settings, setting, None)
    if not path:
        raise ApplicationError(
            (),
            "is not set",
            f"point it at your project's {kind} application, {example}",
            setting=setting,
        )
    if not isinstance(path, str) or "." not in path.strip("."):
        raise ApplicationError(
            (),
            f"{path!r} is not a dotted path",
            f"use the form 'module.attribute', {example}",
            setting=setting,
        )
    module_path, _, attribute = path.rpartition(".")
    try:
        module = import_module(module_path)
    except Exception as error:
        raise ApplicationError(
            (),
            f"{path!r} could not be imported ({type(error).__name__}: {error})",
            f"fix the module or the setting, {example} (--traceback shows where it failed)",
            setting=setting,
        ) from error
    application = getattr(module, attribute, None)
    if application is None:
        raise ApplicationError(
            (),
            f"module {module_path!r} has no attribute {attribute!r}",
            f"define it there or fix the setting, {example}",
            setting=setting,
        )
    if not callable(application):
        raise ApplicationError(
            (),
            f"{path!r} is a {type(application).__name__}, not an {kind} application",
            f"point it at the callable your {module_path}.py defines, {example}",
            setting=setting,
        )
    return f"{module_path}:{attribute}"
