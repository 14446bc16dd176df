"""docs/_static/performance.png from whatever bench/results/*.json hold: one panel per
benchmark, drawn with matplotlib (installed on first use)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tooling import REPO_ROOT, RESULTS_DIR, ensure_python_packages

CHART: Path = REPO_ROOT / "docs" / "_static" / "performance.png"


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def write_chart() -> Path:
    ensure_python_packages("matplotlib=matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 2, figsize=(13, 9))
    panels = [
        (axes[0][0], "launcher_overhead_1w", launcher_panel),
        (axes[0][1], "worker_throughput", worker_panel),
        (axes[1][0], "memory", memory_panel),
        (axes[1][1], "asgi_vs_wsgi", asgi_wsgi_panel),
    ]
    for axis, name, draw in panels:
        data = load(name)
        if data is None:
            axis.set_axis_off()
            axis.text(0.5, 0.5, f"{name}: not measured yet", ha="center")
        else:
            draw(axis, data)
    figure.suptitle("django-prodserver: bench/ results (higher is better unless noted)")
    figure.tight_layout()
    CHART.parent.mkdir(exist_ok=True)
    figure.savefig(CHART, dpi=90)
    plt.close(figure)
    return CHART


def bars(axis: Any, labels: list[str], values: list[float], unit: str) -> None:
    positions = range(len(labels))
    axis.barh(list(positions), values, color="#4477aa")
    axis.set_yticks(list(positions), labels)
    axis.invert_yaxis()
    for position, value in zip(positions, values, strict=True):
        axis.text(
            value, position, f" {value:,.2f}" if value < 10 else f" {value:,.0f}", va="center"
        )
    axis.set_xlabel(unit)


def launcher_panel(axis: Any, data: dict[str, Any]) -> None:
    summary = data["summary"]
    bars(
        axis,
        list(summary),
        [item["throughput_ratio"] for item in summary.values()],
        "prodserver ÷ by hand, requests/s",
    )
    axis.axvline(0.98, color="#cc3311", linestyle="--", label="target 0.98")
    axis.legend(loc="lower right")
    axis.set_title("Launcher overhead (1 worker)")


def worker_panel(axis: Any, data: dict[str, Any]) -> None:
    ratios = data["ratios"]
    labels = [f"{app}: ours ÷ {peer}" for app, peers in ratios.items() for peer in peers]
    values = [value for peers in ratios.values() for value in peers.values()]
    bars(axis, labels, values, "requests/s ratio (1 worker)")
    axis.axvline(1.0, color="#cc3311", linestyle="--", label="parity")
    axis.legend(loc="lower right")
    axis.set_title("Our gunicorn worker against its peers")


def memory_panel(axis: Any, data: dict[str, Any]) -> None:
    pss = data.get("pss_megabytes_after_collection") or data["pss_megabytes"]
    bars(
        axis,
        list(pss),
        list(pss.values()),
        "total PSS after a full collection, MB (lower is better)",
    )
    axis.set_title(f"Memory, {data['workers']} workers")


def asgi_wsgi_panel(axis: Any, data: dict[str, Any]) -> None:
    rates = data["requests_per_second"]
    labels = [f"{path} {backend}" for path, backends in rates.items() for backend in backends]
    values = [value for backends in rates.values() for value in backends.values()]
    bars(axis, labels, values, "requests/s (1 worker)")
    axis.set_title("Django views: prodserver's ASGI handler, Django's, WSGI")


if __name__ == "__main__":
    print(write_chart())
