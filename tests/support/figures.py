"""Figures the reliability suite measures, printed at the end of the run."""

from __future__ import annotations

FIGURES: list[tuple[str, str]] = []


def record(what: str, figure: str) -> None:
    FIGURES.append((what, figure))
