"""The example project with the PRODUCTION_PROCESSES a bench script passes as JSON."""

import json
import os

from example_project.settings import *  # noqa: F403

PRODUCTION_PROCESSES = json.loads(os.environ["PRODSERVER_BENCH_PROCESSES"])
ROOT_URLCONF = "bench_urls"

if os.environ.get("PRODSERVER_BENCH_RAW_APPS") == "1":
    # The raw hello apps (hello_app.py): what is measured is the server, not Django.
    ASGI_APPLICATION = "hello_app.app"
    WSGI_APPLICATION = "hello_app.wsgi_app"
