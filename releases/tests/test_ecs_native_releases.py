"""ECS's own blue/green releases (no CodeDeploy) beyond the console: a release through the pipeline's ECS deploy
action counted in the insights and shown in the history's timeline as a CodeDeploy one is, the overview's row of an
ECS target, and a service deployment's state change reaching the events queue; against the sandbox over HTTP."""

import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from releases.models import EventSource, ReleaseTarget
from releases.tests.ecs_native import (
    execution_ended,
    pause_waits,
    refresh_until,
    release_with_pause,
    stage_is,
    status_is,
    track_pipeline,
    track_service,
)
from releases.worker import event_rule, listener, polling
from sandbox.tests.ecs_native_setup import PIPELINE, BlueGreenService, put_image_definitions

pytestmark = pytest.mark.django_db
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"


@pytest.fixture
def hooked_service(boto):
    """The ECS blue/green service with a Lambda hook after the test traffic shift (it succeeds unless a fault says
    otherwise), its first deployment finished."""
    service = BlueGreenService(boto).build(lifecycleHooks=[{"lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}])
    service.settle()
    return service


def another_execution_ended(first):
    def check(target):
        latest = target.latest_execution()
        return latest.execution_id != first.execution_id and execution_ended(target)

    return check


def stat(html, name):
    return re.search(rf'data-stat="{name}">([^<]*)<', html).group(1)


def test_an_ecs_release_through_its_pipeline_counts_in_the_insights_and_the_history_as_a_codedeploy_one(
    sandbox, boto, hooked_service, client, viewer
):
    target = track_pipeline(boto, f"{IMAGE}:2")
    target = refresh_until(sandbox, target, execution_ended, step=5, timeout=60)
    first = target.latest_execution()
    released = target.service_deployments.get(execution_id=first.execution_id)
    assert first.status == "Succeeded" and first.deployment_id == released.deployment_id
    assert released.status == "SUCCESSFUL" and released.target_revision["image"] == f"{IMAGE}:2"
    assert target.service_deployments.exclude(pk=released.pk).get().execution_id == ""  # create_service's own

    # The next release's hook fails: ECS rolls back, and the deploy action fails with it.
    boto.sandbox.set_fault(kind="ecs_hook", outcome="fail", times=1)
    put_image_definitions(boto, f"{IMAGE}:3")
    boto.codepipeline.start_pipeline_execution(name=PIPELINE)
    target = refresh_until(sandbox, target, another_execution_ended(first), step=5, timeout=60)
    second = target.latest_execution()
    rolled = target.service_deployments.get(execution_id=second.execution_id)
    assert second.status == "Failed" and rolled.status == "ROLLBACK_SUCCESSFUL"

    client.force_login(viewer)
    html = client.get(reverse("insights"), {"days": 30}).content.decode()
    assert stat(html, "bad-share") == "50%"  # one rolled back of two finished
    assert stat(html, "lead-time") != "—"  # the first release's production traffic shift
    row = re.search(rf">{re.escape(target.name)}</a></td>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells[0] == "2" and cells[2:6] == ["1", "0", "1", "50%"]  # releases; succeeded, failed, rolled back
    assert cells[6] != "—"

    console = client.get(target.get_absolute_url(), {"release": first.execution_id}).content.decode()
    steps = {key: state for state, key in re.findall(r'<li class="step (\w+)" data-step="(\w+)"', console)}
    assert steps == {"pushed": "pending", "started": "done", "deployment": "done", "test": "done", "reroute": "done",
                     "end": "done"}  # fmt: skip
    assert "Service deployment created" in console and "Reroute<" not in console
    console = client.get(target.get_absolute_url(), {"release": second.execution_id}).content.decode()
    assert re.search(r'<li class="step failed" data-step="end">\s*<strong>Rolled back', console)

    timeline = client.get(reverse("release-timeline", args=[target.name, first.execution_id])).content.decode()
    assert released.deployment_id in timeline
    assert re.search(
        r'milestone reached milestone-rerouted">\s*<span class="milestone-label">Traffic rerouted', timeline
    )
    timeline = client.get(reverse("release-timeline", args=[target.name, second.execution_id])).content.decode()
    assert rolled.deployment_id in timeline and "Rolled back" in timeline
    assert "milestone reached milestone-rolled_back" in timeline


def overview_row(client, target):
    html = client.get(reverse("overview")).content.decode()
    row = re.search(rf'<tr data-target="{re.escape(target.name)}">(.*?)</tr>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_the_overview_row_of_an_ecs_target_shows_its_service_deployment_and_the_split(
    sandbox, boto, ecs_service, client, viewer
):
    target = track_service(ecs_service)
    client.force_login(viewer)
    first = target.latest_service_deployment()
    assert f"SUCCESSFUL {first.deployment_id}" in overview_row(client, target)

    arn = release_with_pause(ecs_service)
    target = refresh_until(sandbox, target, pause_waits, step=2, timeout=30)
    current = target.latest_service_deployment()
    row = overview_row(client, target)
    assert f"IN_PROGRESS {current.deployment_id} POST_TEST_TRAFFIC_SHIFT" in row
    assert "100% original · 0% replacement" in row
    assert "Paused at POST_TEST_TRAFFIC_SHIFT: waiting for Continue" in row

    hook = ecs_service.deployment(arn)["lifecycleHookDetails"][0]["hookId"]
    boto.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook)
    target = refresh_until(sandbox, target, stage_is("BAKE_TIME"), step=2, timeout=30)
    row = overview_row(client, target)
    assert f"IN_PROGRESS {current.deployment_id} BAKE_TIME" in row and "0% original · 100% replacement" in row
    assert "waiting for Continue" not in row

    boto.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    target = refresh_until(sandbox, target, status_is("ROLLBACK_SUCCESSFUL"), step=2, timeout=30)
    row = overview_row(client, target)
    assert f"ROLLBACK_SUCCESSFUL {current.deployment_id}" in row and "100% on the original (rolled back)" in row


def not_due(*targets):
    """Pushed out of the way, so that only an event can make them due now."""
    later = timezone.now() + timezone.timedelta(hours=1)
    ReleaseTarget.objects.filter(pk__in=[t.pk for t in targets]).update(poll_due_at=later)


def test_a_service_deployment_s_state_change_reaches_the_queue_and_makes_only_its_ecs_target_due(
    sandbox, boto, ecs_service
):
    call_command("events_rule")
    target = track_service(ecs_service)  # tracking finds the queue: it is listened to from now on
    source = EventSource.objects.get()
    pattern = json.loads(boto.events.describe_rule(Name=event_rule.NAME)["EventPattern"])
    assert "aws.ecs" in pattern["source"] and "ECS Deployment State Change" in pattern["detail-type"]
    other = ReleaseTarget.objects.create(
        name="shop/api", engine="ecs", cluster_name="shop", service_name="api", region=target.region
    )
    listener.receive(source, wait_seconds=0)
    not_due(target, other)

    ecs_service.release("nginx:2")
    sandbox.advance(2)
    seen = boto.sqs.receive_message(QueueUrl=source.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    started = [json.loads(m["Body"]) for m in seen["Messages"]]
    assert {(e["source"], e["detail-type"]) for e in started} == {("aws.ecs", "ECS Deployment State Change")}
    assert started[0]["detail"]["eventName"] == "SERVICE_DEPLOYMENT_IN_PROGRESS"
    assert started[0]["resources"] == [ecs_service.service()["serviceArn"]]

    assert listener.receive(source, wait_seconds=0) > 0
    assert polling.claim_due() == [target.pk]
    target.refresh_from_db()
    assert target.event_hints == ["state"]
