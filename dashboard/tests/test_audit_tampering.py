"""The audit log below Python: the database refuses every edit and deletion, on PostgreSQL and on SQLite, and the
hash chain shows what someone who could drop the triggers changed.

Each test runs on the default database (PostgreSQL in CI) and on "sqlite", a real SQLite database made by the
same migrations (added in the root conftest.py).
"""

import threading

import pytest
from django.core.management import execute_from_command_line
from django.db import IntegrityError, connections, models, transaction
from django.utils import timezone

from dashboard import audit_guard
from dashboard.audit import AppendOnlyError, AuditChainHead, AuditEvent
from dashboard.audit_chain import GENESIS, first_break, link

ALIASES = ["default", "sqlite"]
pytestmark = pytest.mark.django_db(databases=ALIASES)
REASON = "smoke test passed"


def an_event(using, **fields):
    event = AuditEvent(action="release.reroute", outcome=AuditEvent.REQUESTED, actor_name="otto", **fields)
    event.save(using=using)
    return event


def upsert(queryset, event):
    """An INSERT ... ON CONFLICT (id) DO UPDATE over an existing event."""
    edited = AuditEvent(pk=event.pk, action=event.action, outcome=event.outcome, reason="edited")
    edited.created_at, edited.previous_hash, edited.hash = event.created_at, "x" * 64, "x" * 64
    queryset.bulk_create([edited], update_conflicts=True, update_fields=["reason"], unique_fields=["id"])


def raw(using, sql, pk):
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [pk])


def base_manager(db):
    return AuditEvent._base_manager.db_manager(db)


def plain_queryset(db):
    return models.QuerySet(AuditEvent, using=db)


TABLE = audit_guard.TABLE
# Each route, and who refuses it: the model in Python, or the database's trigger.
ROUTES = {
    "base manager update": (AppendOnlyError, lambda e, db: base_manager(db).filter(pk=e.pk).update(reason="x")),
    "base manager delete": (AppendOnlyError, lambda e, db: base_manager(db).filter(pk=e.pk).delete()),
    "plain queryset update": (IntegrityError, lambda e, db: plain_queryset(db).filter(pk=e.pk).update(reason="x")),
    "plain queryset delete": (IntegrityError, lambda e, db: plain_queryset(db).filter(pk=e.pk).delete()),
    "upsert through the manager": (AppendOnlyError, lambda e, db: upsert(AuditEvent.objects.db_manager(db), e)),
    "upsert through a plain queryset": (IntegrityError, lambda e, db: upsert(plain_queryset(db), e)),
    "save with force_update": (
        AppendOnlyError,
        lambda e, db: AuditEvent(pk=e.pk, action=e.action, reason="x").save(using=db, force_update=True),
    ),
    "raw UPDATE": (IntegrityError, lambda e, db: raw(db, f"UPDATE {TABLE} SET reason = 'x' WHERE id = %s", e.pk)),
    "raw DELETE": (IntegrityError, lambda e, db: raw(db, f"DELETE FROM {TABLE} WHERE id = %s", e.pk)),
}


@pytest.mark.parametrize("using", ALIASES)
@pytest.mark.parametrize("route", ROUTES)
def test_every_route_to_change_an_event_is_refused(using, route):
    refused_by, attempt = ROUTES[route]
    event = an_event(using, reason=REASON)
    with pytest.raises(refused_by, match="(?i)audit events are append-only"), transaction.atomic(using=using):
        attempt(event, using)
    assert AuditEvent.objects.using(using).get(pk=event.pk).reason == REASON


def verify(using, capsys):
    """`manage.py verify_audit`: its exit status and what it printed."""
    try:
        execute_from_command_line(["manage.py", "verify_audit", "--database", using])
        status = 0
    except SystemExit as exit:
        status = exit.code
    out, err = capsys.readouterr()
    return status, out + err


def without_the_guard(using, *statements):
    """What the table's owner can do: drop the triggers, then change rows."""
    with connections[using].cursor() as cursor:
        for sql in audit_guard.DROP[connections[using].vendor]:
            cursor.execute(sql)
        for sql, params in statements:
            cursor.execute(sql, params)


@pytest.mark.parametrize("using", ALIASES)
def test_an_honest_log_verifies(using, capsys):
    for reason in ("one", "two", "three"):
        an_event(using, reason=reason, params={"n": 1, "nested": {"b": [1, 2], "a": "é"}}, target_id=7)
    AuditEvent.objects.db_manager(using).bulk_create(an_event_unsaved() for _ in range(2))
    status, output = verify(using, capsys)
    assert status == 0 and "Verified 5 audit events: the chain is whole" in output


def an_event_unsaved():
    return AuditEvent(action="deployment.lifecycle_event", outcome=AuditEvent.OBSERVED, actor_name="system")


@pytest.mark.parametrize("using", ALIASES)
def test_an_edit_made_after_dropping_the_triggers_is_named(using, capsys):
    first, edited, last = (an_event(using, reason=reason) for reason in ("one", "two", "three"))
    without_the_guard(using, (f"UPDATE {audit_guard.TABLE} SET reason = 'rewritten' WHERE id = %s", [edited.pk]))
    status, output = verify(using, capsys)
    assert status != 0
    assert f"Verified 1 audit events, then the chain breaks at event #{edited.pk}" in output
    assert "content edited" in output


@pytest.mark.parametrize("using", ALIASES)
def test_a_deleted_event_in_the_middle_is_named(using, capsys):
    first, deleted, after = (an_event(using, reason=reason) for reason in ("one", "two", "three"))
    without_the_guard(using, (f"DELETE FROM {audit_guard.TABLE} WHERE id = %s", [deleted.pk]))
    status, output = verify(using, capsys)
    assert status != 0
    assert f"at event #{after.pk}" in output and "an event before it is missing" in output


@pytest.mark.parametrize("using", ALIASES)
def test_a_deleted_newest_event_is_named(using, capsys):
    kept, deleted = an_event(using, reason="one"), an_event(using, reason="two")
    without_the_guard(using, (f"DELETE FROM {audit_guard.TABLE} WHERE id = %s", [deleted.pk]))
    status, output = verify(using, capsys)
    assert status != 0
    assert f"at event #{kept.pk}" in output and "events after it are missing" in output


@pytest.mark.parametrize("using", ALIASES)
def test_an_event_written_around_the_chain_is_named(using, capsys):
    an_event(using, reason="one")
    forged = an_event_unsaved()
    forged.created_at, forged.previous_hash = timezone.now(), "f" * 64
    models.QuerySet(AuditEvent, using=using).bulk_create([forged])
    status, output = verify(using, capsys)
    assert status != 0
    assert f"at event #{forged.pk}" in output and "inserted out of chain: it has no hash" in output


@pytest.mark.parametrize("using", ALIASES)
@pytest.mark.django_db(transaction=True, databases=ALIASES)
def test_concurrent_writers_keep_one_chain(using, capsys):
    writers, per_writer = 4, 10
    start, failures = threading.Barrier(writers), []

    def write(number):
        try:
            start.wait()
            for i in range(per_writer):
                # Inside another transaction, with a second write after it, as the product records.
                with transaction.atomic(using=using):
                    an_event(using, reason=f"writer {number}, event {i}")
                    an_event(using, reason=f"writer {number}, event {i}, outcome")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    status, output = verify(using, capsys)
    assert status == 0 and output.startswith(f"Verified {2 * writers * per_writer} audit events: the chain is whole")


def test_an_event_slipped_in_with_a_forged_hash_is_named():
    """Someone who also dropped the unique index put X between A and B, hashed as if it followed A."""
    a, x, b = (an_event_unsaved() for _ in range(3))
    for pk, event in enumerate((a, x, b), start=1):
        event.pk, event.created_at = pk, timezone.now()
    a_hash = link(a, GENESIS)
    link(x, a_hash)
    link(b, a_hash)
    head = AuditChainHead(last_hash=b.hash, length=2)
    verified, broken = first_break([a, x, b], head)
    assert (verified, broken.event_id) == (1, x.pk)
    assert broken.problem == f"inserted out of chain: event #{b.pk} follows the event before this one"
