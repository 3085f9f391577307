"""The pollers: one refresh per target per interval, batch calls, backoff, and each change recorded once."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from dashboard import aws
from dashboard.audit import AuditEvent
from releases import action_requests
from releases.models import OperatorAction, ReleaseTarget
from releases.tests.conftest import deployment_status, in_termination_wait, poll_until
from releases.worker import action_sending, polling


def test_a_release_is_followed_to_the_end_and_each_change_is_recorded_once(tracked, tutorial, sandbox, operator):
    baseline = AuditEvent.objects.count()
    digest = tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")

    execution = target.latest_execution()
    assert execution.image_digest == digest
    assert execution.image_tag == "latest" and execution.image_uri.endswith(execution.image_digest)
    deployment = target.latest_deployment()
    assert deployment.execution_id == execution.execution_id
    assert deployment.ready_wait_ends_at is not None
    assert [ts["label"] for ts in deployment.task_sets] == ["BLUE", "GREEN"]
    assert deployment.green["task_definition"].endswith(":3") and deployment.green["image"].endswith(digest)
    assert target.active

    reroute = action_requests.request_action(target, OperatorAction.REROUTE, user=operator, reason="smoke test passed")
    action_sending.send(reroute.pk)
    target = poll_until(sandbox, target, in_termination_wait, what="termination wait")
    assert target.latest_deployment().green_weight == 100
    terminate = action_requests.request_action(
        target, OperatorAction.TERMINATE_ORIGINAL, user=operator, reason="all good"
    )
    action_sending.send(terminate.pk)
    target = poll_until(sandbox, target, deployment_status("Succeeded"), what="Succeeded")
    target = poll_until(sandbox, target, lambda t: t.latest_execution().status == "Succeeded", what="execution end")

    names = [
        e.action for e in AuditEvent.objects.filter(outcome="observed", params__deployment_id=deployment.deployment_id)
    ]
    for once in (
        "deployment.created",
        "deployment.ready",
        "deployment.traffic_rerouted",
        "deployment.original_terminated",
    ):
        assert names.count(once) == 1, once
    assert names.count("deployment.finished") == 1
    assert AuditEvent.objects.count() > baseline
    started = AuditEvent.objects.get(action="pipeline.execution_started", params__execution_id=execution.execution_id)
    assert started.params["image_digest"] == execution.image_digest and started.actor is None
    repeated = (
        AuditEvent.objects.filter(action="deployment.lifecycle_event", params__deployment_id=deployment.deployment_id)
        .values("params__event", "params__status")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert list(repeated) == []

    polling.refresh(target.pk)
    target.refresh_from_db()
    assert not target.active
    assert target.poll_due_at > timezone.now() + timedelta(seconds=50)  # idle: about a minute


def test_a_refresh_is_claimed_by_one_caller_only(tracked):
    ReleaseTarget.objects.filter(pk=tracked.pk).update(poll_due_at=timezone.now())
    assert polling.claim_due() == [tracked.pk]
    assert polling.claim_due() == []


def test_a_refresh_uses_batch_calls_and_asks_for_unchanging_details_once(tracked, tutorial, sandbox):
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
    before = sandbox.calls()
    for _ in range(3):
        polling.refresh(target.pk)
    after = sandbox.calls()

    def delta(service, operation):
        return after.get(service, {}).get(operation, 0) - before.get(service, {}).get(operation, 0)

    assert delta("codedeploy", "BatchGetDeployments") == 3
    assert delta("codedeploy", "BatchGetDeploymentTargets") == 3
    assert delta("codedeploy", "GetDeployment") == 0
    assert delta("ecs", "DescribeTaskDefinition") == 0
    assert delta("codepipeline", "ListActionExecutions") == 0


@pytest.fixture
def no_retries(settings):
    """Clients that do not retry, so a throttled call fails at once (and their slowed rate limiter is dropped)."""
    settings.AWS_MAX_ATTEMPTS = 1
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_throttling_backs_off_and_says_so(tracked, sandbox, no_retries):
    sandbox.set_fault(kind="throttle", rate=1.0, service="codepipeline", operation="GetPipelineState")
    polling.refresh(tracked.pk)
    tracked.refresh_from_db()
    assert tracked.poll_failures == 1 and "Throttling" in tracked.poll_error
    waits = [(tracked.poll_due_at - timezone.now()).total_seconds()]
    for _ in range(2):  # the same answer again: each wait doubles
        polling._failed(tracked.pk, aws.AwsError("ThrottlingException", "Rate exceeded", retryable=True))
        tracked.refresh_from_db()
        waits.append((tracked.poll_due_at - timezone.now()).total_seconds())
    assert 100 < waits[0] < waits[1] < waits[2] <= polling.MAX_BACKOFF_SECONDS  # idle: 60 s doubled, and so on

    sandbox.clear_faults()
    polling.refresh(tracked.pk)
    tracked.refresh_from_db()
    assert tracked.poll_failures == 0 and tracked.poll_error == ""
