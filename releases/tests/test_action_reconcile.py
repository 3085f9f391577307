"""An action whose worker died after sending it is never guessed at nor sent blindly again: once its lease has run
out, the sweeper has it reconciled from what AWS shows. Applied: confirmed with no second call. Not applied:
recorded so (test_action_faults.py)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dashboard import jobs
from dashboard.audit import AuditEvent
from dashboard.tests.workers import start_worker
from releases import action_requests
from releases.models import OperatorAction
from releases.tests.conftest import wait_for
from releases.worker import action_sending

HTMX = {"HX-Request": "true"}


def continue_calls(sandbox):
    return sandbox.calls().get("codedeploy", {}).get("ContinueDeployment", 0)


def deployment_status(boto, deployment_id):
    return boto.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]


def rerouted(sandbox, boto, deployment_id):
    """AWS has moved on from Ready (the sandbox's clock is moved by hand in these tests)."""

    def check():
        sandbox.advance(2)
        return deployment_status(boto, deployment_id) != "Ready"

    return check


def test_a_reroute_whose_worker_died_mid_call_is_confirmed_from_aws_without_a_second_call(
    transactional_db, ready, sandbox, boto, client, operator, job_queue, tmp_path
):
    deployment_id = ready.latest_deployment().deployment_id
    before = continue_calls(sandbox)
    client.force_login(operator)
    sandbox.set_fault(kind="latency", service="codedeploy", operation="ContinueDeployment", ms=3000, times=1)
    log = (tmp_path / "workers.log").open("w")  # read it when this test fails
    worker = start_worker(job_queue, log, JOB_LEASE_SECONDS=2)
    try:
        url = reverse("release-action", args=[ready.pk, OperatorAction.REROUTE])
        client.post(url, {"reason": "smoke test passed", "deployment_id": deployment_id}, headers=HTMX)
        action = OperatorAction.objects.get()
        wait_for(lambda: continue_calls(sandbox) == before + 1, timeout=30, what="the worker to send the reroute")
        worker.kill()  # AWS has the request; the worker never hears the answer
    finally:
        worker.kill()
        worker.wait()
        log.close()
    wait_for(rerouted(sandbox, boto, deployment_id), timeout=30, what="AWS to reroute")
    action.refresh_from_db()
    assert action.status == OperatorAction.SENT
    status_url = reverse("release-action-status", args=[action.pk])
    assert client.get(status_url, headers=HTMX).status_code == 200  # still polling
    wait_for(lambda: OperatorAction.objects.get(pk=action.pk).lease_expires_at < timezone.now(), what="the lease")

    assert jobs.sweep() == [("operatoraction", action.pk, "requeued")]
    action_sending.reconcile(action.pk)  # what the re-queued task runs
    action.refresh_from_db()
    assert action.status == OperatorAction.CONFIRMED and action.result["reconciled"] == "AWS showed it applied"
    assert continue_calls(sandbox) == before + 1
    requested, unknown, confirmed = AuditEvent.objects.filter(action="release.reroute").order_by("pk")
    assert unknown.outcome == AuditEvent.UNKNOWN
    assert (confirmed.outcome, confirmed.follows_id) == (AuditEvent.SUCCEEDED, requested.pk)
    assert client.get(status_url, headers=HTMX).status_code == 286


def test_a_sent_action_no_worker_could_reconcile_times_out_and_frees_its_kind(db, ready, operator, job_queue):
    action = action_requests.request_action(ready, OperatorAction.REROUTE, user=operator, reason="go")
    OperatorAction.objects.filter(pk=action.pk).update(
        status=OperatorAction.SENT,
        attempts=OperatorAction.MAX_ATTEMPTS,
        started_at=timezone.now() - timedelta(minutes=15),
        lease_owner="dead",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert jobs.sweep() == [("operatoraction", action.pk, "timed_out")]
    action.refresh_from_db()
    assert (action.status, action.error_code) == (OperatorAction.TIMED_OUT, "TimedOut")
    assert "whether AWS applied it is unknown" in action.error_message
    assert AuditEvent.objects.filter(action="release.reroute").latest("pk").outcome == AuditEvent.UNKNOWN
    again = action_requests.request_action(ready, OperatorAction.REROUTE, user=operator, reason="once more")
    assert again.pk != action.pk and again.is_open


def test_a_redeploy_whose_worker_died_after_aws_made_it_is_found_by_its_marker(db, tracked, sandbox, operator):
    def creates():
        return sandbox.calls().get("codedeploy", {}).get("CreateDeployment", 0)

    action = action_requests.request_action(tracked, OperatorAction.REDEPLOY_PREVIOUS, user=operator, reason="bad")
    made = action_sending.send(action.pk).result["new_deployment_id"]
    before = creates()
    OperatorAction.objects.filter(pk=action.pk).update(  # as if the worker died before it heard AWS's answer
        status=OperatorAction.SENT, result={}, lease_owner="dead", lease_expires_at=timezone.now() - timedelta(1)
    )
    action_sending.reconcile(action.pk)

    action.refresh_from_db()
    assert action.status == OperatorAction.CONFIRMED and action.result["new_deployment_id"] == made
    assert action.result["reconciled"] == "AWS showed it applied" and creates() == before
