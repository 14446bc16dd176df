"""Bad input of any shape, for every backend we ship: whatever ``ARGS`` hold, ``prodserver
web --dry-run`` ends either with the printed command on one line (exit 0) or with one line
on stderr (exit 2). Never a traceback, never a message of two lines.

The command runs in this process (as ``manage.py`` runs it, ``run_from_argv``), so that
hypothesis can try 600 configurations per backend in seconds.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from importlib.util import find_spec
from io import StringIO
from typing import Any

import pytest
from django.test.utils import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_prodserver.conf import ProcessConfig
from django_prodserver.management.commands.prodserver import Command
from django_prodserver.processes import backend_class_for

from .support.processes import ALL_BACKENDS, PROCESS_KEYS, TASKS_WORKER, web

EXAMPLES_PER_BACKEND = 600


def option_names(backend: str) -> list[str]:
    """Every spelling the backend's own schema knows, and the keys it refuses."""
    process = web(None, backend)["web"]
    schema = backend_class_for(ProcessConfig("web", backend, {}, process)).schema_for(process)
    assert schema is not None
    names = set(schema.refused)
    for option in schema.options:
        names.update(
            (option.name, *option.aliases, *([option.negative] if option.negative else []))
        )
    return sorted(names)


def typo(name: str) -> st.SearchStrategy[str]:
    """The name with one character dropped, doubled or swapped, or in another spelling."""

    def mutate(index: int, how: int) -> str:
        index %= max(len(name), 1)
        if how == 0:
            return name[:index] + name[index + 1 :]
        if how == 1:
            return name[:index] + name[index : index + 1] * 2 + name[index + 1 :]
        if how == 2:
            return (
                name[:index]
                + name[index + 1 : index + 2]
                + name[index : index + 1]
                + name[index + 2 :]
            )
        return ["--" + name, name.replace("-", "_"), name.upper(), " " + name + " "][how - 3]

    return st.builds(mutate, st.integers(0, 64), st.integers(0, 6))


ODD_TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "-", "--", "\x00", "a\nb", "\r\n", "\u2028", "é", "..", "/"]),
    st.text(alphabet="ab\x00\n\t-_=", max_size=12),
    st.just("x" * 5000),
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, -1, 65536, 10**100]),
    st.just(5000).map(lambda digits: 10**digits),  # too long for str(): built, not shown
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(math.nan),
    st.binary(max_size=8),
    ODD_TEXT,
    st.sampled_from(["True", "false", "on", "4", "8000", "info", "127.0.0.1:8000", "0o660"]),
)

VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.tuples(children),
        st.dictionaries(st.text(max_size=4), children, max_size=2),
    ),
    max_leaves=6,
)


def keys(backend: str) -> st.SearchStrategy[Any]:
    names = option_names(backend)
    return st.one_of(
        st.sampled_from(names),
        st.sampled_from(names).flatmap(typo),
        ODD_TEXT,
        st.one_of(st.integers(), st.none(), st.tuples(st.integers())),
    )


PLAUSIBLE = st.sampled_from(
    [None, True, False, 1, 2, "2", "True", "off", "info", "auto", "0.5", "30", "X-A:1", "."]
)


def arguments(backend: str) -> st.SearchStrategy[Any]:
    """Real option names with values such options take, any keys with any values, and
    ARGS that are not a dict at all."""
    real_names = st.sampled_from(option_names(backend))
    return st.one_of(
        st.dictionaries(real_names, PLAUSIBLE, max_size=3),
        st.dictionaries(keys(backend), VALUES, max_size=5),
        VALUES,
    )


def run_dry_run(processes: dict[str, Any]) -> tuple[int, str, str]:
    stdout, stderr = StringIO(), StringIO()
    command = Command(stdout=stdout, stderr=stderr)
    with override_settings(PRODUCTION_PROCESSES=processes):
        try:
            command.run_from_argv(["manage.py", "prodserver", "web", "--dry-run", "--skip-checks"])
            status = 0
        except SystemExit as exit:
            status = int(exit.code or 0)
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_any_args_end_as_a_command_or_one_line(backend: str) -> None:
    if backend == TASKS_WORKER and find_spec("django_tasks_db") is None:
        pytest.skip("django-tasks-db is not installed here (it needs Django 5.2+)")
    outcomes: Counter[int] = Counter()

    @settings(
        max_examples=EXAMPLES_PER_BACKEND,
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(args=arguments(backend))
    def check(args: Any) -> None:
        process = {"BACKEND": backend, **PROCESS_KEYS.get(backend, {}), "ARGS": args}
        status, out, err = run_dry_run({"web": process})
        outcomes[status] += 1
        if status == 0:
            assert err == "", err
            assert len(out.splitlines()) == 1, out
        else:
            assert status == 2, (status, out, err)
            assert out == "", out
            lines = err.splitlines()
            assert len(lines) == 1, err
            assert lines[0].startswith("CommandError: ")
            assert "Traceback" not in err

    check()
    # Both endings happen: the generator reaches printed commands, not only errors.
    assert outcomes[0] >= 20, outcomes
    assert outcomes[2] >= 20, outcomes
    assert sum(outcomes.values()) >= EXAMPLES_PER_BACKEND, outcomes
