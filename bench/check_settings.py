"""The example project for bench/check_cost.py: with PRODSERVER_BENCH_CHECK=without, no
django_prodserver and no PRODUCTION_PROCESSES; otherwise the processes it passes as JSON."""

import json
import os

from example_project.settings import *  # noqa: F403

if os.environ.get("PRODSERVER_BENCH_CHECK") == "without":
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "django_prodserver"]  # noqa: F405
    globals().pop("PRODUCTION_PROCESSES")
else:
    PRODUCTION_PROCESSES = json.loads(os.environ["PRODSERVER_BENCH_PROCESSES"])
