"""Our operations options, one meaning on every HTTP backend:

- ``"liveness-path"`` and ``"readiness-path"``: paths the server answers itself, without
  entering Django (``runtime/health.py``). Off unless configured; no access lines for them
  unless ``"health-access-log"``.
- ``"drain-delay"``: seconds to keep serving after SIGTERM, with the readiness path
  answering 503, before the graceful stop (``runtime/drain.py``). Taken out of the graceful
  timeout, which each backend declares (``BaseServerBackend.graceful_timeout``).

The choice reaches the server's processes in their environment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConflictingOptionsError
from ..options.schema import InvalidValue, OptionSchema, ServerOption
from ..options.translation import TranslatedArgs
from ..runtime.drain import DELAY_VARIABLE
from ..runtime.health import LIVENESS_VARIABLE, LOGGED_VARIABLE, READINESS_VARIABLE

LIVENESS_PATH = "liveness-path"
READINESS_PATH = "readiness-path"
HEALTH_ACCESS_LOG = "health-access-log"
DRAIN_DELAY = "drain-delay"
#: Ten minutes: a longer delay is a unit mistake (milliseconds for seconds).
LONGEST_DRAIN_DELAY = 600.0


def check_health_path(value: str) -> None:
    if not value.startswith("/") or any(char in value for char in "?# ") or value == "/":
        raise InvalidValue(
            f"{value!r} is not a path the server can answer itself",
            "give a path such as '/readyz': starting with '/', without a query, and not "
            "'/' (Django serves that)",
        )


def check_drain_delay(value: str) -> None:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= LONGEST_DRAIN_DELAY:
        raise InvalidValue(
            f"{value!r} is not a number of seconds from 0 to {LONGEST_DRAIN_DELAY:g}",
            "give the seconds to keep serving after SIGTERM, e.g. '5' (longer than your "
            "load balancer or Kubernetes takes to stop sending requests)",
        )


HEALTH_OPTIONS = OptionSchema(
    "prodserver",
    [
        ServerOption(
            LIVENESS_PATH,
            takes_value=True,
            validate=check_health_path,
            help="A path the server answers itself with 200 while the process runs, "
            "without entering Django (a liveness probe). Off unless set.",
        ),
        ServerOption(
            READINESS_PATH,
            takes_value=True,
            validate=check_health_path,
            help="A path the server answers itself with 200 once the application serves, "
            "and 503 while it drains after SIGTERM (a readiness probe, a load balancer's "
            "health check). Off unless set.",
        ),
        ServerOption(
            HEALTH_ACCESS_LOG,
            takes_value=False,
            help="Write access lines for the health paths too (they are left out otherwise).",
        ),
        ServerOption(
            DRAIN_DELAY,
            takes_value=True,
            validate=check_drain_delay,
            help="Seconds to keep serving after SIGTERM, with the readiness path answering "
            "503, before stopping gracefully; taken out of the graceful timeout. Default 0.",
        ),
    ],
)


@dataclass(frozen=True)
class HealthChoice:
    liveness_path: str | None = None
    readiness_path: str | None = None
    log_health_checks: bool = False
    drain_delay: float = 0.0

    def environment(self) -> dict[str, str]:
        environment = {}
        if self.liveness_path:
            environment[LIVENESS_VARIABLE] = self.liveness_path
        if self.readiness_path:
            environment[READINESS_VARIABLE] = self.readiness_path
        if environment and self.log_health_checks:
            environment[LOGGED_VARIABLE] = "1"
        if self.drain_delay:
            environment[DELAY_VARIABLE] = f"{self.drain_delay:g}"
        return environment

    @property
    def answers_health_paths(self) -> bool:
        return bool(self.liveness_path or self.readiness_path)


def health_choice(translated: TranslatedArgs) -> HealthChoice:
    values = translated.values
    liveness = values.get(LIVENESS_PATH)
    readiness = values.get(READINESS_PATH)
    if liveness is not None and liveness == readiness:
        raise ConflictingOptionsError(
            translated.where(READINESS_PATH),
            f"is {readiness!r}, the liveness path too, and they answer differently while "
            "the server drains",
            "give them different paths, e.g. '/livez' and '/readyz'",
        )
    return HealthChoice(
        liveness_path=str(liveness) if liveness is not None else None,
        readiness_path=str(readiness) if readiness is not None else None,
        log_health_checks=values.get(HEALTH_ACCESS_LOG) is True,
        drain_delay=float(str(values.get(DRAIN_DELAY, 0))),
    )
