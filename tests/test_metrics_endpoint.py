"""The metrics endpoint's reading of the workers' files (``runtime/metrics_endpoint.py``).

The endpoint itself, in real servers, is tested in ``test_metrics.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.mmap_dict import MmapedDict

from django_prodserver.runtime.metrics_endpoint import settled_files, settled_files_collector


def write_counter(directory: Path, pid: int, value: float) -> None:
    """A counter file as a worker writes it, through prometheus-client's own file class."""
    figures = MmapedDict(str(directory / f"counter_{pid}.db"))  # type: ignore[no-untyped-call]
    key = json.dumps(["jobs", "jobs_total", {}, "Jobs"], sort_keys=True)
    figures.write_value(key, value, 0.0)  # type: ignore[no-untyped-call]
    figures.close()  # type: ignore[no-untyped-call]


def test_a_file_a_worker_is_still_creating_is_left_out(tmp_path: Path) -> None:
    write_counter(tmp_path, 101, 3)
    (tmp_path / "counter_102.db").touch()  # created, not yet sized
    (tmp_path / "histogram_103.db").write_bytes(b"\0" * 4)
    (tmp_path / "exit-104.note").write_text("recycled")

    assert settled_files(str(tmp_path)) == [str(tmp_path / "counter_101.db")]


def test_a_scrape_during_a_worker_start_still_sums_the_others(tmp_path: Path) -> None:
    write_counter(tmp_path, 101, 3)
    write_counter(tmp_path, 102, 4)
    (tmp_path / "counter_103.db").touch()
    registry = CollectorRegistry()
    settled_files_collector(registry, str(tmp_path))

    assert "jobs_total 7.0" in generate_latest(registry).decode()


def test_no_files_yet_is_an_empty_page(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    settled_files_collector(registry, str(tmp_path))

    assert generate_latest(registry) == b""
