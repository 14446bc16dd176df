"""Settings for server processes started by the tests: the example project, with the
PRODUCTION_PROCESSES the test passes as JSON in $PRODSERVER_TEST_PROCESSES ("absent"
removes the setting) and other settings overridden by $PRODSERVER_TEST_OVERRIDES."""

import json
import os

from example_project.settings import *  # noqa: F403

PRODUCTION_PROCESSES = json.loads(os.environ["PRODSERVER_TEST_PROCESSES"])
if PRODUCTION_PROCESSES == "absent":
    del PRODUCTION_PROCESSES

globals().update(json.loads(os.environ.get("PRODSERVER_TEST_OVERRIDES", "{}")))
