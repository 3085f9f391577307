"""The settings the tests run with (pyproject.toml): the product's, with the sandbox console on, as the demo runs.
A test that leaves the app out proves the product works without it (sandbox_console/tests/test_without_the_app.py).
"""

import os

os.environ["SANDBOX_CONSOLE"] = "1"  # read by dashboard/settings.py; the processes the tests start inherit it
# Importing dashboard runs its Celery module, which reads the settings while this module is half-imported: let that
# read (and every process the tests start) load the product's settings, which now include the app.
os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"

from dashboard.settings import *  # noqa: E402, F403
