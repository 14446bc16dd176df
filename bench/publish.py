"""Publish a benchmark's results: bench/results/NAME.json, then the chart redrawn from every
result file (chart.py reads what this writes; neither imports the other's caller)."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from chart import write_chart
from tooling import CPU_COUNT, REPO_ROOT, RESULTS_DIR


def save_results(name: str, data: Mapping[str, object]) -> Path:
    """bench/results/NAME.json, with the machine it was measured on; then the chart."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path: Path = RESULTS_DIR / f"{name}.json"
    machine = {
        "cpus": CPU_COUNT,
        "python": sys.version.split()[0],
        "platform": os.uname().release,
        "date": time.strftime("%Y-%m-%d"),
    }
    path.write_text(json.dumps({"machine": machine, **data}, indent=2) + "\n")
    print(f"results: {path.relative_to(REPO_ROOT)}; chart: {write_chart().relative_to(REPO_ROOT)}")
    return path
