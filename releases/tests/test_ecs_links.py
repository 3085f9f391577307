"""Which execution started an ECS service deployment: decided from the deploy action's times in the pipeline state and
the deployments' createdAt (hand-made rows; the sandbox flow is in test_ecs_native_releases.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from releases.models import ReleaseTarget
from releases.worker.ecs_links import link

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def target_with(action_status, changed_at, execution_id="E2"):
    target = ReleaseTarget.objects.create(
        name="shop-release", pipeline_name="shop-release", engine="ecs", deploy_stage="Deploy", deploy_action="Deploy"
    )
    action = {"name": "Deploy", "status": action_status, "changed_at": changed_at.isoformat()}
    stage = {"name": "Deploy", "status": action_status, "execution_id": execution_id, "actions": [action]}
    target.pipeline_state = {"stages": [stage]}
    target.save()
    return target


def deployment(target, name, created, execution_id=""):
    arn = f"arn:aws:ecs:us-east-1:123456789012:service-deployment/shop/web/{name}"
    return target.service_deployments.create(
        arn=arn, deployment_id=name, status="IN_PROGRESS", created_at=created, execution_id=execution_id
    )


def test_the_first_deployment_after_the_running_action_started_is_its_own():
    target = target_with("InProgress", at(100))
    by_hand = deployment(target, "by-hand", at(50))
    own = deployment(target, "own", at(102))
    later = deployment(target, "later", at(300))
    execution = target.executions.create(execution_id="E2", status="InProgress", started_at=at(0))
    assert link(target, {}) == (own.pk, "E2")
    execution.refresh_from_db()
    assert execution.deployment_id == "own"
    for row in (by_hand, own, later):
        row.refresh_from_db()
    assert [by_hand.execution_id, own.execution_id, later.execution_id] == ["", "E2", ""]
    assert link(target, {}) is None  # linked once


def test_an_action_seen_only_finished_takes_the_last_deployment_of_its_execution_s_time():
    target = target_with("Succeeded", at(400))
    target.executions.create(execution_id="E2", status="Succeeded", started_at=at(0))
    before = deployment(target, "previous-execution", at(20))  # the execution before held the deploy stage then
    own = deployment(target, "own", at(200))
    assert link(target, {}) == (own.pk, "E2")
    before.refresh_from_db()
    assert before.execution_id == ""


def test_nothing_is_linked_before_the_deploy_action_runs_or_outside_its_time():
    target = target_with("", at(100))
    deployment(target, "by-hand", at(150))
    assert link(target, {}) is None
    target = ReleaseTarget.objects.get(pk=target.pk)
    target.pipeline_state["stages"][0]["actions"][0]["status"] = "Failed"  # ended before the deployment
    target.executions.create(execution_id="E2", status="Failed", started_at=at(0))
    assert link(target, {}) is None
