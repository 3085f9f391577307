"""The move's page and its buttons without a worker: who may start what, and what each request writes."""

import pytest
from django.urls import reverse

from dashboard import events
from dashboard.audit import AuditEvent
from releases.migration_models import MigrationRun
from releases.models import ReleaseTarget


@pytest.fixture
def target(db):
    return ReleaseTarget.objects.create(
        name="shop-pipeline",
        pipeline_name="shop-pipeline",
        region="us-east-1",
        application_name="shop-app",
        deployment_group_name="shop-dg",
        cluster_name="shop-cluster",
        service_name="shop-service",
    )


def start(client, target, phase, **data):
    return client.post(reverse("release-migration-start", args=[target.pk, phase]), data)


def test_viewers_see_the_page_operators_dry_run_and_only_admins_run(client_for, viewer, operator, target):
    page = client_for(viewer).get(reverse("release-migration", args=[target.pk]))
    assert page.status_code == 200 and b"What the move does" in page.content
    assert b'id="dry-run" disabled' in page.content
    assert start(client_for(viewer), target, "dry_run", bake_minutes=0).status_code == 403
    assert MigrationRun.objects.count() == 0

    assert start(client_for(operator), target, "dry_run", bake_minutes=0).status_code == 302
    dry = MigrationRun.objects.get()
    assert (dry.phase, dry.status, dry.options, dry.requested_by) == (
        "dry_run",
        "pending",
        {"bake_minutes": 0},
        operator,
    )
    requested = AuditEvent.objects.get(action=events.MIGRATION)
    assert (requested.outcome, requested.scope, requested.params["phase"]) == ("requested", target.name, "dry_run")

    MigrationRun.objects.filter(pk=dry.pk).update(
        status=MigrationRun.SUCCEEDED, preconditions=[{"name": "pipeline", "ok": True}]
    )
    assert start(client_for(operator), target, "run").status_code == 403
    assert MigrationRun.objects.count() == 1


def test_run_waits_for_a_passed_dry_run_and_a_bad_bake_time_is_refused(client_for, admin_user, target):
    client = client_for(admin_user)
    response = start(client, target, "dry_run", bake_minutes=90)
    assert response.status_code == 400 and b"Ensure this value is less than or equal to 45" in response.content
    assert MigrationRun.objects.count() == 0

    start(client, target, "run")
    assert MigrationRun.objects.count() == 0  # refused: no dry run yet
    page = client.get(reverse("release-migration", args=[target.pk]))
    assert b"Run needs a dry run done since the last change" in page.content

    MigrationRun.objects.create(
        target=target, phase="dry_run", status="succeeded", preconditions=[{"name": "idle", "ok": False}]
    )
    start(client, target, "run")
    assert not MigrationRun.objects.filter(phase="run").exists()  # a failed precondition: still no Run
    for phase in ("rollback", "delete"):
        start(client, target, phase)
    assert MigrationRun.objects.count() == 1  # nothing moved: nothing to roll back or delete
