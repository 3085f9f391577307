"""Bench: stream the CSV and JSON Lines exports of 100,000 audit events and show that memory stays bounded.

    .venv/bin/python bench/audit_export.py [--events 100000]

With no DATABASE_URL it uses a SQLite file in a temporary folder; with DATABASE_URL (PostgreSQL) it creates a
throwaway database next to the configured one ("<name>_bench") and drops it afterwards, so the audit log of a
real installation is never touched. Each export goes through the history export view (as a signed-in viewer,
through the same filter code as the page) and is consumed chunk by chunk, as a client downloading it would.
Time is measured on a plain run, peak memory (tracemalloc) on a second run of the same export.
"""

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(tmp):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ["VAR_DIR"] = str(tmp / "var")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ["DEBUG"] = "false"  # no query log
    import django

    django.setup()


def make_database():
    """A database of our own to fill: the SQLite file, or a throwaway PostgreSQL database."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
        return lambda: None
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)


def fill(count):
    """`count` events over the last year, in batches, with realistic fields (bulk_create: append only)."""
    from dashboard import events
    from dashboard.audit import AuditEvent

    actions = [events.EXECUTION_STARTED, events.DEPLOYMENT_CREATED, events.LIFECYCLE_EVENT, events.REROUTE]
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / count
    moments = (start + step * i for i in range(count))
    with mock.patch("django.utils.timezone.now", side_effect=lambda: next(moments)):
        for first in range(0, count, 5000):
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    action=actions[i % len(actions)],
                    outcome="observed" if i % 4 else "requested",
                    actor_name="system" if i % 4 else "otto",
                    scope=f"service-{i % 7}",
                    target_type="deployment",
                    target_id=f"d-{i:09d}",
                    reason="" if i % 4 else "=cmd|' /C calc'!A0 smoke tests green",
                    params={"execution_id": f"e-{i // 9}", "deployment_id": f"d-{i // 9}", "n": i},
                )
                for i in range(first, min(first + 5000, count))
            )


def make_viewer():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("bench-viewer")
    user.groups.add(Group.objects.get(name="viewer"))  # recorded in the audit log, like any role change
    return user


def stream(user, fmt):
    """Run the export view as `user` and consume its response; (rows, bytes, chunks)."""
    from django.test import RequestFactory

    from dashboard.history.views import history_export

    request = RequestFactory().get(f"/history/export.{fmt}")
    request.user = user
    response = history_export(request, fmt=fmt)
    assert response.streaming, "the export must stream"
    size = lines = chunks = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
        chunks += 1
    response.close()
    return lines - (1 if fmt == "csv" else 0), size, chunks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder))
        from django.db import connection

        drop = make_database()
        try:
            from dashboard.audit import AuditEvent

            user = make_viewer()
            began = time.perf_counter()
            fill(args.events)
            total = AuditEvent.objects.count()
            seconds = time.perf_counter() - began
            print(f"{connection.vendor}: {args.events:,} events bulk-created in {seconds:.1f} s; {total:,} in all")
            for fmt in ("csv", "jsonl"):
                began = time.perf_counter()
                rows, size, chunks = stream(user, fmt)
                seconds = time.perf_counter() - began
                tracemalloc.start()
                stream(user, fmt)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                print(
                    f"{fmt:>5}: {rows:,} rows, {size / 1e6:.1f} MB in {chunks:,} chunks, {seconds:.2f} s "
                    f"({rows / seconds:,.0f} rows/s), peak Python memory {peak / 1e6:.1f} MB"
                )
                assert rows == total, f"{fmt}: {rows} rows for {total} events"
        finally:
            connection.close()
            drop()


if __name__ == "__main__":
    main()
