"""uvicorn options for our gunicorn workers, carried in one environment variable.

The variable holds uvicorn command-line arguments (``--limit-concurrency=100
--header='X-A: 1'``), parsed in each worker by uvicorn's own command, so they survive
SIGHUP, SIGTTIN and SIGUSR2 and also work with a plain ``gunicorn -k ...`` command.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

ENVIRONMENT_VARIABLE = "PRODSERVER_UVICORN_ARGS"


def encode(argv: list[str]) -> str:
    return shlex.join(argv)


def config_kwargs_from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """``uvicorn.Config`` keyword arguments for the options set in the variable."""
    text = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "")
    if not text.strip():
        return {}
    from click.core import ParameterSource
    from uvicorn.main import main as uvicorn_command

    context = uvicorn_command.make_context("uvicorn", ["-", *shlex.split(text)])
    given = {
        name: value
        for name, value in context.params.items()
        if name != "app" and context.get_parameter_source(name) == ParameterSource.COMMANDLINE
    }
    if "headers" in given:
        given["headers"] = [header.split(":", 1) for header in given["headers"]]
    return given
