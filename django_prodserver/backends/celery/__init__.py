"""Celery's worker and beat scheduler, on the app named by the process key ``APP``."""

from .servers import CeleryBeat, CeleryWorker

__all__ = ["CeleryBeat", "CeleryWorker"]
