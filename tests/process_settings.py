"""Settings for server processes started by the tests: the example project, with the
PRODUCTION_PROCESSES the test passes as JSON in $PRODSERVER_TEST_PROCESSES ("absent"
removes the setting) or in the file $PRODSERVER_TEST_PROCESSES_FILE names, and other
settings overridden by $PRODSERVER_TEST_OVERRIDES."""

import json
import os

from example_project.settings import *  # noqa: F403

if "PRODSERVER_TEST_PROCESSES_FILE" in os.environ:
    with open(os.environ["PRODSERVER_TEST_PROCESSES_FILE"]) as processes_file:
        PRODUCTION_PROCESSES = json.load(processes_file)
else:
    PRODUCTION_PROCESSES = json.loads(os.environ["PRODSERVER_TEST_PROCESSES"])
if PRODUCTION_PROCESSES == "absent":
    del PRODUCTION_PROCESSES

globals().update(json.loads(os.environ.get("PRODSERVER_TEST_OVERRIDES", "{}")))
