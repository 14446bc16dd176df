"""A project LOGGING that disables every logger it does not name, as many projects' do."""

DISABLING_LOGGING = {
    "LOGGING": {
        "version": 1,
        "disable_existing_loggers": True,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "loggers": {"django": {"handlers": ["console"], "level": "INFO"}},
    }
}
