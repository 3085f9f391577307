"""Release events: an EventBridge event in the sandbox reaches the dashboard's SQS queue and makes the target it
names due at once; with the queue gone, polling still shows releases and the console says events are not arriving."""

import threading

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from dashboard import aws
from releases.models import EventSource, ReleaseTarget
from releases.tests.browser import open_console
from releases.tests.conftest import wait_for
from releases.worker import event_rule, listener, polling
from releases.worker.track import track_pipeline


@pytest.fixture
def listened(db, tutorial, boto):
    """The hand-made setup with `manage.py events_rule` run for its region, then tracked and refreshed once."""
    call_command("events_rule")
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    polling.refresh(target.pk)
    target.refresh_from_db()
    return target


def not_due(target):
    """Pushed out of the way, so that only an event can make it due now."""
    ReleaseTarget.objects.filter(pk=target.pk).update(poll_due_at=timezone.now() + timezone.timedelta(hours=1))


def test_an_image_push_reaches_the_queue_and_makes_its_target_due(listened, tutorial, sandbox):
    source = EventSource.objects.get()
    assert source.queue_url.endswith(f"/{event_rule.NAME}")
    not_due(listened)
    tutorial.push_image()
    sandbox.advance(3)

    assert listener.receive(source, wait_seconds=0) > 0
    assert listened.pk in polling.claim_due()
    source.refresh_from_db()
    assert source.received_at and source.healthy() and listened.events_state["arriving"]


def test_a_deployment_event_makes_only_the_target_of_its_group_due(listened, tutorial, sandbox):
    other = ReleaseTarget.objects.create(name="other", pipeline_name="other", region=listened.region)
    not_due(listened)
    not_due(other)
    sandbox.advance(1)
    listener.receive(EventSource.objects.get(), wait_seconds=0)  # what the first release left in the queue
    not_due(listened)
    tutorial.create_deployment()
    sandbox.advance(10)

    assert listener.receive(EventSource.objects.get(), wait_seconds=0) > 0
    assert polling.claim_due() == [listened.pk]


def test_events_rule_run_again_changes_nothing_and_tracking_finds_the_queue(listened, boto):
    call_command("events_rule")
    assert EventSource.objects.count() == 1
    targets = boto.events.list_targets_by_rule(Rule=event_rule.NAME)["Targets"]
    assert [t["Id"] for t in targets] == [event_rule.TARGET_ID]


def test_without_a_queue_nothing_is_listened_to(db, tutorial):
    track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    assert not EventSource.objects.exists()


@pytest.mark.browser
def test_with_the_queue_deleted_polling_shows_the_release_and_the_console_says_events_are_not_arriving(
    listened, tutorial, sandbox, boto, sign_in, viewer, live_server, settings
):
    source = EventSource.objects.get()
    boto.sqs.delete_queue(QueueUrl=source.queue_url)
    assert listener.receive(source, wait_seconds=0) is None
    known = set(listened.executions.values_list("execution_id", flat=True))
    tutorial.push_image()

    page = open_console(sign_in(viewer), live_server, listened, settings)
    state = page.locator("#events-state")
    expect(state).to_have_attribute("data-arriving", "false")
    expect(state).to_contain_text("Events are not arriving")
    expect(state).to_contain_text("NonExistentQueue")
    sandbox.advance(3)
    polling.refresh(listened.pk)  # the polling fallback, as beat runs it
    new = listened.executions.exclude(execution_id__in=known).get()
    expect(page.locator("#executions")).to_contain_text(new.execution_id[:12])


def calls_of(sandbox, work):
    """The AWS calls `work()` made, as {"Service.Operation": count}."""
    before = sandbox.calls()
    work()
    after = sandbox.calls()
    return {
        f"{service}.{operation}": count - before.get(service, {}).get(operation, 0)
        for service, operations in after.items()
        for operation, count in operations.items()
        if count != before.get(service, {}).get(operation, 0)
    }


def follow(sandbox, target, source, condition, *, what):
    """As the listener and beat do: read the queue, refresh what is due, until `condition(target)` holds."""
    for _ in range(30):
        listener.receive(source, wait_seconds=0)
        if target.pk in polling.claim_due(timezone.now() + timezone.timedelta(seconds=3)):
            polling.refresh(target.pk)
        target.refresh_from_db()
        if condition(target):
            return target
        sandbox.advance(2)
    raise AssertionError(f"{what} did not show")


def test_while_events_arrive_an_idle_target_costs_one_call_and_a_waiting_deployment_only_its_target(
    listened, tutorial, sandbox, boto
):
    source = EventSource.objects.get()
    listener.receive(source, wait_seconds=0)
    assert calls_of(sandbox, lambda: polling.refresh(listened.pk)) == {"codepipeline.ListPipelineExecutions": 1}
    assert polling.idle_targets() == []  # no probes while events tell

    tutorial.push_image()
    ready = follow(sandbox, listened, source, lambda t: t.latest_deployment().status == "Ready", what="Ready")
    assert calls_of(sandbox, lambda: polling.refresh(ready.pk)) == {"codedeploy.BatchGetDeploymentTargets": 1}

    deployment = ready.latest_deployment()
    boto.codedeploy.continue_deployment(deploymentId=deployment.deployment_id, deploymentWaitType="READY_WAIT")
    sandbox.advance(3)  # CodeDeploy publishes nothing when it reroutes: the target's refresh shows it
    listener.receive(source, wait_seconds=0)
    assert calls_of(sandbox, lambda: polling.refresh(ready.pk)) == {"codedeploy.BatchGetDeploymentTargets": 1}
    deployment.refresh_from_db()
    assert deployment.status == "InProgress" and not deployment.needs_action
    assert deployment.lifecycle_events[5]["status"] != "Pending"  # BeforeAllowTraffic has begun


def test_the_listener_reads_every_queue_in_a_thread_of_its_own_until_stopped(
    transactional_db, tutorial, sandbox, monkeypatch
):
    monkeypatch.setattr(EventSource, "WAIT_SECONDS", 1)  # each long poll ends within a second once stopped
    call_command("events_rule")
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    polling.refresh(target.pk)
    not_due(target)
    stop = threading.Event()
    thread = threading.Thread(target=listener.listen, args=(stop,), kwargs={"rescan_seconds": 0.1})
    thread.start()
    try:
        source = wait_for(lambda: EventSource.objects.exclude(lease_owner="").first(), what="the queue claimed")
        tutorial.push_image()
        sandbox.advance(3)
        wait_for(lambda: polling.claim_due() == [target.pk], what="the push's events to make the target due")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    source.refresh_from_db()
    assert source.lease_owner == "" and source.received > 0 and source.healthy()
