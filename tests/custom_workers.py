"""The worker subclass the uvicorn-worker README shows (shared seed 000), on our worker."""

from __future__ import annotations

from typing import Any, ClassVar

from django_prodserver.workers import UvicornWorker

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "default": {
            "()": "uvicorn.logging.DefaultFormatter",
            "format": "%(asctime)s - %(message)s",
        },
        "access": {"()": "uvicorn.logging.AccessFormatter", "format": "%(asctime)s - %(message)s"},
    },
    "handlers": {
        "default": {
            "formatter": "default",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        },
        "access": {
            "formatter": "access",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "root": {"level": "INFO", "handlers": ["default"]},
        "uvicorn.error": {"level": "INFO", "handlers": ["default"], "propagate": False},
        "uvicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}


class MyUvicornWorker(UvicornWorker):
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "asyncio",
        "http": "auto",
        "lifespan": "off",
        "log_config": logconfig_dict,
    }
