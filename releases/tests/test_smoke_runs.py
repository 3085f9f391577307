"""Smoke check runs against a real local HTTP service, with the sandbox's CodeDeploy and a real worker: a run starts
once per deployment and phase when a refresh sees test traffic (or the termination wait), its policy reroutes or
rolls back through the operators' own action machinery (audited, by "smoke checks"), a freeze holds the reroute,
four eyes leaves it to people, the block policy refuses a person's reroute, and a run whose deployment moved on is
cancelled."""

import pytest

from dashboard import events
from dashboard.audit import AuditEvent
from notifications import kinds
from notifications.models import Channel, Delivery
from notifications.tests.receivers import HttpReceiver
from releases import action_requests, smoke
from releases.models import OperatorAction, SmokeRun, SmokeSettings
from releases.tests.conftest import deployment_status, in_termination_wait, poll_until, run_smoke_checks, wait_for
from releases.web import four_eyes
from releases.worker import action_sending, polling, smoke_runs

from .smoke_server import check

A, R = OperatorAction, SmokeRun
GREEN = check(json_field="color", json_value="green", count=2, interval=1)


def configure(target, app, checks=(GREEN,), **policy):
    return SmokeSettings.objects.create(
        target=target, test_url=app.url, production_url=app.url, checks=list(checks), **policy
    )


def finished(target, phase):
    def check():
        run = target.smoke_runs.filter(phase=phase).first()
        return run if run is not None and run.is_finished else None

    check.__name__ = f"the {phase} run to finish"
    return check


def action_of(kind, status=A.CONFIRMED):
    def check(target):
        return target.actions.filter(kind=kind, status=status).exists()

    return check


def run_events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_passing_run_reroutes_by_itself_then_checks_production_in_the_termination_wait(
    worker, tracked, tutorial, sandbox, app
):
    configure(tracked, app, reroute_on_pass=True, rollback_on_failure=True, production_rollback_on_failure=True)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    run = wait_for(finished(target, smoke.TEST), what="the test run")
    assert run.status == R.PASSED, run.reason
    assert [(r["ok"], r["status"], r["url"]) for r in run.results] == [(True, 200, f"{app.url}/health")] * 2
    assert app.requests[0]["accept"] == "application/json"

    target = poll_until(sandbox, target, action_of(A.REROUTE), step=0, timeout=30, what="the reroute")
    reroute = target.actions.get(kind=A.REROUTE)
    assert (reroute.requested_by, reroute.actor_name) == (None, "smoke checks")
    assert reroute.reason == "Smoke checks passed on the test listener (2 attempts)"
    assert reroute.params["deployment_id"] == run.deployment_id
    run.refresh_from_db()
    assert (run.follow_up, run.action_id) == (R.REQUESTED, reroute.pk)

    target = poll_until(sandbox, target, in_termination_wait, timeout=60, what="the termination wait")
    production = wait_for(finished(target, smoke.PRODUCTION), what="the production run")
    assert production.status == R.PASSED and production.deployment_id == run.deployment_id
    for _ in range(3):  # more refreshes of the same deployment start nothing more
        polling.refresh(target.pk)
    assert target.smoke_runs.count() == 2

    started, ended = run_events(events.SMOKE_STARTED), run_events(events.SMOKE_FINISHED)
    assert [(e.actor_name, e.params["phase"]) for e in started] == [
        ("smoke checks", "test"),
        ("smoke checks", "production"),
    ]
    assert [(e.outcome, e.params["status"], e.follows_id) for e in ended] == [
        (AuditEvent.SUCCEEDED, "passed", started[0].pk),
        (AuditEvent.SUCCEEDED, "passed", started[1].pk),
    ]
    asked = AuditEvent.objects.filter(action=events.REROUTE).order_by("id")
    assert [(e.actor_name, e.outcome) for e in asked] == [("smoke checks", "requested"), ("smoke checks", "succeeded")]


def test_a_failing_run_rolls_back_by_itself_and_is_told(worker, tracked, tutorial, sandbox, app, boto, monkeypatch):
    receiver = HttpReceiver()
    monkeypatch.setenv("NOTIFY_SLACK_URL", receiver.url)
    Channel.objects.create(
        name="releases", kind=Channel.SLACK, url_variable="NOTIFY_SLACK_URL", events=[kinds.SMOKE_CHECKS_FAILED]
    )
    configure(tracked, app, reroute_on_pass=True, rollback_on_failure=True)
    app.status = 500
    try:
        tutorial.push_image()
        target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
        run = wait_for(finished(target, smoke.TEST), what="the test run")
        assert run.status == R.FAILED
        assert run.reason == f"GET {app.url}/health: expected status 200, got 500"
        assert len(run.results) == 1  # the first failed attempt ends the run

        target = poll_until(sandbox, target, action_of(A.ROLLBACK), step=0, timeout=30, what="the rollback")
        rollback = target.actions.get(kind=A.ROLLBACK)
        assert rollback.actor_name == "smoke checks"
        assert rollback.reason == f"Smoke checks failed on the test listener: {run.reason}"
        stopped = boto.codedeploy.get_deployment(deploymentId=run.deployment_id)["deploymentInfo"]
        assert stopped["status"] == "Stopped" and stopped["rollbackInfo"]["rollbackDeploymentId"]
        assert not target.actions.filter(kind=A.REROUTE).exists()

        wait_for(lambda: receiver.received, timeout=15, what="the notification")
        delivery = Delivery.objects.get(kind=kinds.SMOKE_CHECKS_FAILED)
        assert delivery.title == (
            f"{target.name}: smoke checks failed on the test listener for deployment {run.deployment_id}: {run.reason}"
        )
        assert [receiver.json(i)["text"].split("\n")[0] for i in range(len(receiver.received))] == [delivery.title]
    finally:
        receiver.stop()


def test_a_failure_in_production_during_the_termination_wait_rolls_back(worker, tracked, tutorial, sandbox, app):
    configure(tracked, app, reroute_on_pass=True, production_rollback_on_failure=True)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, in_termination_wait, timeout=90, what="the reroute by the checks")
    app.status = 502
    production = wait_for(finished(target, smoke.PRODUCTION), what="the production run")
    assert production.status == R.FAILED and "got 502" in production.reason
    target = poll_until(sandbox, target, action_of(A.ROLLBACK), step=0, timeout=30, what="the rollback")
    poll_until(sandbox, target, lambda t: t.latest_deployment().rollback_of, timeout=60, what="the rollback deployment")


def test_the_block_policy_refuses_a_reroute_until_the_checks_pass(worker, tracked, tutorial, sandbox, app, operator):
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    configure(target, app, block_reroute=True)  # set while it waits: the next refresh starts the run
    with pytest.raises(action_requests.SmokeBlocked, match="Waiting for smoke checks: on this target Reroute waits"):
        action_requests.request_action(target, A.REROUTE, user=operator, reason="looks fine to me")
    polling.refresh(target.pk)
    run = wait_for(finished(target, smoke.TEST), what="the test run")
    assert run.status == R.PASSED and run.follow_up == R.NOTHING  # shown only otherwise: nothing asked for
    action = action_requests.request_action(target, A.REROUTE, user=operator, reason="checks passed")
    assert action.status == A.REQUESTED


def test_the_console_disables_reroute_while_the_checks_have_not_passed(
    tracked, tutorial, sandbox, app, operator, client_for
):
    app.status = 503
    configure(tracked, app, block_reroute=True)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    client = client_for(operator)
    page = client.get(target.get_absolute_url()).content.decode()
    disabled = 'data-action="reroute" disabled aria-describedby="reroute-blocked">'
    assert disabled in page and '<span class="small" id="reroute-blocked">Waiting for smoke checks</span>' in page
    run = run_smoke_checks(target)
    assert run.status == R.FAILED
    page = client.get(target.get_absolute_url()).content.decode()
    assert disabled in page and '<span class="small" id="reroute-blocked">Smoke checks failed</span>' in page
    with pytest.raises(action_requests.SmokeBlocked) as refused:
        action_requests.request_action(target, A.REROUTE, user=operator, reason="ship it anyway")
    assert refused.value.code == "smoke_checks"
    assert str(refused.value).startswith("Smoke checks failed: on this target")
    assert not A.objects.exists()


def test_a_freeze_holds_the_automatic_reroute_until_it_ends(worker, tracked, tutorial, sandbox, app, admin_user):
    from datetime import timedelta

    from django.utils import timezone

    from releases import freezes

    configure(tracked, app, reroute_on_pass=True)
    freeze = freezes.set_freeze(
        tracked, until=timezone.now() + timedelta(hours=1), reason="board meeting", user=admin_user
    )
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    wait_for(finished(target, smoke.TEST), what="the test run")
    run = poll_until(sandbox, target, lambda t: t.smoke_runs.get().follow_up == R.HELD, step=0).smoke_runs.get()
    assert run.follow_up_note.startswith("Held: Frozen until ")
    assert "“board meeting”" in run.follow_up_note and run.follow_up_note.endswith("once the freeze ends.")
    polling.refresh(target.pk)
    assert not A.objects.exists()

    freezes.end_freeze(freeze, user=admin_user)
    target = poll_until(sandbox, target, action_of(A.REROUTE), step=0, timeout=30, what="the reroute")
    assert target.smoke_runs.get().follow_up == R.REQUESTED


def test_four_eyes_leaves_the_reroute_to_people(worker, tracked, tutorial, sandbox, app, admin_user):
    four_eyes.choose(tracked, [A.REROUTE], user=admin_user)
    configure(tracked, app, reroute_on_pass=True)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    wait_for(finished(target, smoke.TEST), what="the test run")
    target = poll_until(
        sandbox, target, lambda t: t.smoke_runs.get().follow_up == R.LEFT_TO_PEOPLE, step=0, what="left to people"
    )
    assert target.smoke_runs.get().follow_up_note == (
        "Left to people: “Reroute traffic” needs a second operator on this target."
    )
    assert not A.objects.exists() and not target.four_eyes_requests.exists()


def test_a_run_whose_deployment_moved_on_is_cancelled(tracked, tutorial, sandbox, app, operator):
    configure(tracked, app, checks=[{**GREEN, "count": 3, "interval": 60}])
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    run = target.smoke_runs.get(phase=smoke.TEST)
    smoke_runs.attempt(run.pk)
    run.refresh_from_db()
    assert (run.status, len(run.results), run.lease_owner) == (R.RUNNING, 1, "")
    assert smoke_runs.attempt(run.pk) is None  # not due for a minute: a second delivery does nothing

    reroute = action_requests.request_action(target, A.REROUTE, user=operator, reason="no need to wait")
    action_sending.send(reroute.pk)
    target = poll_until(sandbox, target, in_termination_wait, timeout=60, what="the termination wait")
    SmokeRun.objects.filter(pk=run.pk).update(next_at=run.created_at)
    smoke_runs.attempt(run.pk)
    run.refresh_from_db()
    assert run.status == R.CANCELLED and len(run.results) == 1
    assert run.reason == "the deployment went on (InProgress) before the checks on the test listener finished"
    (ended,) = run_events(events.SMOKE_FINISHED)
    assert (ended.outcome, ended.params["status"]) == (AuditEvent.OBSERVED, "cancelled")
