"""Find the project's ASGI or WSGI application from its setting, as an import string.

``startproject`` writes ``mysite/asgi.py`` and ``mysite/wsgi.py`` but only the
``WSGI_APPLICATION`` setting (``ASGI_APPLICATION`` is no Django setting). So, where
``ASGI_APPLICATION`` is not set, the ASGI application is the ``asgi`` module next to the
``WSGI_APPLICATION`` one, as ``startproject`` lays them out, and the command says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

from ..errors import ApplicationError, ConflictingOptionsError
from ..options.translation import TranslatedArgs


@dataclass(frozen=True)
class Application:
    """``import_string`` is ``'mysite.asgi:application'``; ``origin`` says where it came
    from when not from its own setting. ``djangos_asgi_handler``: Django's own handler, which
    answers HTTP and websockets but not lifespan events."""

    import_string: str
    origin: str | None = None
    djangos_asgi_handler: bool = False


def find_application(setting: str) -> Application:
    """The application ``setting`` names, imported once here so that a mistake is reported
    before any server starts."""
    path = getattr(settings, setting, None)
    if path or setting != "ASGI_APPLICATION":
        return _application(setting, path)
    wsgi_path = getattr(settings, "WSGI_APPLICATION", None)
    if not isinstance(wsgi_path, str) or "." not in wsgi_path.strip("."):
        return Application(_import_string(setting, path))  # raises: ASGI_APPLICATION not set
    module, _, _ = wsgi_path.rpartition(".")
    package = module.rpartition(".")[0]
    derived = f"{package}.asgi.application" if package else "asgi.application"
    return _application(
        setting,
        derived,
        origin=f"ASGI_APPLICATION is not set: serving {derived}, the asgi module next to "
        f"WSGI_APPLICATION ({wsgi_path})",
    )


def _application(setting: str, path: object, origin: str | None = None) -> Application:
    from django.core.handlers.asgi import ASGIHandler

    import_string = _import_string(setting, path, derived_from_wsgi=origin is not None)
    module, _, attribute = import_string.partition(":")
    handler = getattr(import_module(module), attribute)
    return Application(import_string, origin, isinstance(handler, ASGIHandler))


def check_lifespan(translated: TranslatedArgs, application: Application) -> None:
    """``lifespan: on`` makes uvicorn fail its start-up (exit 3) on an application that does
    not handle lifespan events, which Django's own ASGI handler does not."""
    if translated.values.get("lifespan") == "on" and application.djangos_asgi_handler:
        raise ConflictingOptionsError(
            translated.where("lifespan"),
            "'on' needs an application that handles lifespan events, and Django's ASGI "
            "handler does not (the server would exit at start)",
            "remove 'lifespan' (the default, 'auto', runs without them), or serve an "
            "application that handles lifespan events",
        )


def _import_string(setting: str, path: object, *, derived_from_wsgi: bool = False) -> str:
    """``'mysite.asgi.application'`` → ``'mysite.asgi:application'``, once it imports."""
    kind = "ASGI" if setting.startswith("ASGI") else "WSGI"
    example = f"e.g. {setting} = 'mysite.{kind.lower()}.application'"
    how = f"is not set, and {path!r} (next to WSGI_APPLICATION)" if derived_from_wsgi else ""
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
            f"{how or repr(path)} could not be imported ({type(error).__name__}: {error})",
            f"{'set it' if how else 'fix the module or the setting'}, {example} "
            "(--traceback shows where it failed)",
            setting=setting,
        ) from error
    application = getattr(module, attribute, None)
    if application is None:
        raise ApplicationError(
            (),
            f"{how + ': ' if how else ''}module {module_path!r} has no attribute {attribute!r}",
            f"define it there or {'set' if how else 'fix'} the setting, {example}",
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
