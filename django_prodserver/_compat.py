"""Every workaround for an older supported version, each with the versions it serves.

When the oldest supported version moves past one, its branch goes. Nothing here imports
Django, and uvicorn and gunicorn are imported only by the function that needs them, so
that runtime code (the gunicorn master above all) can use this module cheaply.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping
from functools import cache
from typing import Any


def uvicorn_loop_implementations() -> Mapping[str, str | None]:
    """uvicorn's table of ``--loop`` names: ``LOOP_FACTORIES`` from uvicorn 0.36,
    ``LOOP_SETUPS`` before (0.30 to 0.35)."""
    from uvicorn import config

    loops: Mapping[str, str | None] = getattr(config, "LOOP_FACTORIES", None) or getattr(
        config, "LOOP_SETUPS", {}
    )
    return loops


def uvicorn_supervisor(supervisor_class: Any, config: Any, server: Any, sockets: Any) -> Any:
    """uvicorn's ``Multiprocess`` (or a subclass): uvicorn 0.30 to 0.3x take the worker target
    as an argument; later versions build it themselves."""
    from uvicorn.supervisors import Multiprocess

    if "target" in inspect.signature(Multiprocess).parameters:
        return supervisor_class(config, target=server.run, sockets=sockets)
    return supervisor_class(config, sockets=sockets)


def exit_after_failed_startup(server: Any, status: int) -> None:
    """uvicorn 0.30 returns from ``Server.startup`` (and then from ``Server.run``) when the
    application's start-up fails, and its supervisor restarts the worker for ever; recent
    uvicorn exits with status 3 itself, so this is reached only on old versions."""
    if not server.started and server.lifespan.should_exit:
        sys.exit(status)


@cache
def uvicorn_takes_ssl_context_factory() -> bool:
    """``uvicorn.Config(ssl_context_factory=...)``, which gunicorn's ``ssl_context`` hook
    needs, exists only in recent uvicorn."""
    from uvicorn.config import Config

    return "ssl_context_factory" in inspect.signature(Config).parameters


@cache
def gunicorn_has_control_socket() -> bool:
    """gunicorn 27 added a control socket (``--no-control-socket`` turns it off)."""
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket" for setting in KNOWN_SETTINGS)


def gunicorn_access_log_enabled(log: Any, cfg: Any) -> bool:
    """Whether gunicorn writes access lines: its logger says so from gunicorn 24 on; gunicorn
    23 decides it from these settings, in the same order."""
    enabled = getattr(log, "access_log_enabled", None)
    if enabled is not None:
        return bool(enabled)
    return bool(
        cfg.accesslog
        or cfg.logconfig
        or cfg.logconfig_dict
        or cfg.logconfig_json
        or (cfg.syslog and not cfg.disable_redirect_access_to_syslog)
    )


def gunicorn_root_path(cfg: Any) -> str:
    """gunicorn's ``--root-path`` (gunicorn 24 and later); none before."""
    return str(getattr(cfg, "root_path", "") or "")


def click_unparsed_tokens(context: Any) -> list[str]:
    """What a click group left for its subcommand (the subcommand's name first). click 8.2
    deprecated ``Context.protected_args`` and keeps it as ``_protected_args``; before 8.2
    it is a plain attribute."""
    state = vars(context)
    protected = state.get("_protected_args", state.get("protected_args", []))
    return [*protected, *context.args]
