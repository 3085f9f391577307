"""What every bench shares: the environment (a throwaway database, dummy AWS credentials) and Django set up on it.

Import it first: it sets the environment before Django is imported.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(name, None)


def setup_django(endpoint_url):
    """Django on the bench's database (emptied) with every AWS call sent to `endpoint_url`."""
    import django

    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if "bench" not in str(connection.settings_dict["NAME"]):
        sys.exit("The bench empties its database: give it one whose name contains 'bench' (or no DATABASE_URL).")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)
