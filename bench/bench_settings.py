"""The example project with the PRODUCTION_PROCESSES a bench script passes as JSON."""

import json
import os

from example_project.settings import *  # noqa: F403

PRODUCTION_PROCESSES = json.loads(os.environ["PRODSERVER_BENCH_PROCESSES"])
ROOT_URLCONF = "bench_urls"
