"""A gunicorn config module, for settings gunicorn has no command-line option for."""

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"tagged": {"format": "CONFIGURED %(name)s %(message)s"}},
    "handlers": {
        "out": {
            "class": "logging.StreamHandler",
            "formatter": "tagged",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"level": "INFO", "handlers": ["out"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["out"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["out"], "propagate": False},
    },
}
