"""ECS's own blue/green (no CodeDeploy) in the console's back end: tracking, the refresh's calls, the actions
offered per state, and the API's actions, against the sandbox over HTTP."""

import pytest

from releases import offers
from releases.models import OperatorAction
from releases.tests.ecs_native import (
    pause_waits,
    refresh_until,
    release_with_pause,
    status_is,
    track_service,
)
from releases.worker import polling

A = OperatorAction
pytestmark = pytest.mark.django_db


def test_a_service_named_by_cluster_and_service_is_tracked_as_ecs_with_its_rules_and_checks(ecs_service):
    target = track_service(ecs_service)
    assert target.engine == "ecs" and target.pipeline_name == ""
    assert target.setup["ecs"]["production_rule"] == ecs_service.ids["production_rule"]
    assert target.prod_port == 80 and target.test_port == 8080
    assert not target.failed_checks, target.failed_checks
    first = target.latest_service_deployment()
    assert first.status == "SUCCESSFUL" and first.target_revision["image"] == "nginx:1"
    assert offers.available(target) == {}  # nothing runs, and no pipeline to release


def test_a_rolling_service_fails_the_blue_green_checks(boto, ecs_service):
    boto.ecs.update_service(cluster="shop", service="web", deploymentConfiguration={"strategy": "ROLLING"})
    target = track_service(ecs_service)
    failed = {check["name"] for check in target.failed_checks}
    assert "ecs_strategy" in failed


def test_the_refresh_reads_stages_hooks_revisions_and_the_split_and_offers_continue_then_rollback(sandbox, ecs_service):
    target = track_service(ecs_service)
    release_with_pause(ecs_service)
    target = refresh_until(sandbox, target, pause_waits, step=2, timeout=30)
    current = target.latest_service_deployment()
    assert current.awaiting_hooks and current.hooks[0]["stage"] == "POST_TEST_TRAFFIC_SHIFT"
    assert current.target_revision["image"] == "nginx:2"
    assert current.source_revisions[0]["image"] == "nginx:1"
    assert current.split("production") == {"blue": 100, "green": 0}
    assert current.split("test") == {"blue": 0, "green": 100}
    offered = offers.available(target)
    assert set(offered) == {A.CONTINUE_HOOK, A.ROLLBACK}
    assert offered[A.CONTINUE_HOOK]["hook_id"] == current.hooks[0]["hookId"]
    assert target.active


def test_an_idle_service_costs_one_call_a_refresh(sandbox, ecs_service, monkeypatch):
    from dashboard import aws

    target = track_service(ecs_service)
    calls, original = [], aws.call

    def counting(service, operation, /, *args, **kwargs):  # counts the calls; each still goes to the sandbox
        calls.append(operation)
        return original(service, operation, *args, **kwargs)

    monkeypatch.setattr(aws, "call", counting)
    for _ in range(3):
        polling.refresh(target.pk)
    assert calls == ["list_service_deployments"] * 3


@pytest.mark.parametrize(
    "status, awaiting, expected",
    [
        ("PENDING", False, set()),
        ("IN_PROGRESS", False, {A.ROLLBACK}),
        ("IN_PROGRESS", True, {A.ROLLBACK, A.CONTINUE_HOOK}),
        ("ROLLBACK_IN_PROGRESS", False, set()),
        ("SUCCESSFUL", False, set()),
        ("ROLLBACK_SUCCESSFUL", False, set()),
    ],
)
def test_the_actions_offered_follow_the_service_deployments_state(status, awaiting, expected):
    from releases.models import ReleaseTarget

    target = ReleaseTarget.objects.create(name="shop/web", engine="ecs", cluster_name="shop", service_name="web")
    hooks = [{"hookId": "ecs-pause-1", "status": "AWAITING_ACTION" if awaiting else "SUCCEEDED", "targetType": "PAUSE"}]
    arn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop/web/abc"
    target.service_deployments.create(arn=arn, deployment_id="abc", status=status, hooks=hooks)
    assert set(offers.available(target)) == expected
    target.pipeline_name = "shop-release"  # with a pipeline, a release change is offered besides
    assert set(offers.available(target)) == expected | {A.RELEASE_CHANGE}


def test_a_finished_release_is_in_the_audit_history_as_codedeploy_ones_are(sandbox, ecs_service):
    from dashboard.audit import AuditEvent
    from dashboard.events import DEPLOYMENT_CREATED, DEPLOYMENT_FINISHED, LIFECYCLE_EVENT

    target = track_service(ecs_service)
    arn = ecs_service.release("nginx:2")
    refresh_until(sandbox, target, status_is("SUCCESSFUL"), step=10, timeout=40)
    events = AuditEvent.objects.filter(scope=target.name, params__service_deployment_arn=arn)
    assert events.filter(action=DEPLOYMENT_CREATED).count() == 1
    assert events.filter(action=LIFECYCLE_EVENT, params__event="BAKE_TIME").exists()
    (finished,) = events.filter(action=DEPLOYMENT_FINISHED)
    assert finished.params["status"] == "Succeeded" and finished.params["ecs_status"] == "SUCCESSFUL"
