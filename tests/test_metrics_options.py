"""``metrics-bind``: its values, and the exit notes workers leave their supervisor."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from django_prodserver.backends.metrics_options import MetricsAddress
from django_prodserver.options.schema import InvalidValue
from django_prodserver.runtime import metrics


@pytest.mark.parametrize(
    ("value", "unix_path", "host", "port", "loopback"),
    [
        ("127.0.0.1:9100", None, "127.0.0.1", 9100, True),
        ("[::1]:9100", None, "::1", 9100, True),
        ("localhost:9100", None, "localhost", 9100, True),
        ("0.0.0.0:9100", None, "0.0.0.0", 9100, False),
        ("unix:/run/app/metrics.sock", "/run/app/metrics.sock", "", 0, True),
    ],
)
def test_addresses(value: str, unix_path: str | None, host: str, port: int, loopback: bool) -> None:
    address = MetricsAddress.parse(value)
    assert (address.unix_path, address.host, address.port) == (unix_path, host, port)
    assert address.loopback is loopback


@pytest.mark.parametrize("value", ["9100", ":9100", "127.0.0.1:", "host:70000", "unix:relative"])
def test_not_addresses(value: str) -> None:
    with pytest.raises(InvalidValue):
        MetricsAddress.parse(value)


@pytest.fixture
def metrics_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(metrics.DIRECTORY_VARIABLE, str(tmp_path))
    monkeypatch.setenv(metrics.BIND_VARIABLE, "127.0.0.1:9100")
    return tmp_path


def test_a_note_says_why_a_worker_ended(metrics_directory: Path) -> None:
    metrics.note_exit("recycled")
    assert metrics.exit_reason(os.getpid(), killed_for_timeout=False) == "recycled"
    assert not list(metrics_directory.iterdir()), "the note is removed once read"
    metrics.note_exit("stopped")
    assert metrics.exit_reason(os.getpid(), killed_for_timeout=False) is None
    assert metrics.exit_reason(os.getpid(), killed_for_timeout=False) == "crashed"
    assert metrics.exit_reason(os.getpid(), killed_for_timeout=True) == "timed_out"


def test_without_metrics_no_file_is_touched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(metrics.DIRECTORY_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    metrics.note_exit("recycled")
    assert metrics.exit_reason(123, killed_for_timeout=False) is None
    assert not list(tmp_path.iterdir())
