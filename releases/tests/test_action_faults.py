"""Each action kind, its worker SIGKILLed while AWS takes the call: the sweeper has it reconciled and the row
ends as AWS shows, with no second call. A lost answer (a read timeout) is never retried blindly either."""

import pytest
from django.urls import reverse

from dashboard import jobs
from dashboard.audit import AuditEvent
from dashboard.tests.workers import aws_calls, kill_mid_call, start_worker, stop, sweep_and_finish, wait_for
from releases import offers
from releases.action_kinds import KINDS
from releases.models import OperatorAction as A
from releases.tests.conftest import in_termination_wait, poll_until

HTMX = {"HX-Request": "true"}


def offered(kind):
    return lambda target: kind in offers.available(target)


def executions(boto, target):
    return boto.codepipeline.list_pipeline_executions(pipelineName=target.pipeline_name)["pipelineExecutionSummaries"]


def deployment(boto, deployment_id):
    return boto.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def deployments(boto, target):
    return boto.codedeploy.list_deployments(
        applicationName=target.application_name, deploymentGroupName=target.deployment_group_name
    )["deployments"]


# kind → (the AWS call it makes, how to reach a state that offers it, what AWS shows once it is applied)
def idle(request, target):
    return target


def executing(request, target):
    boto = request.getfixturevalue("boto")
    boto.codepipeline.start_pipeline_execution(name=target.pipeline_name)
    return poll_until(boto.sandbox, target, offered(A.STOP_EXECUTION), step=1, what="an execution to stop")


def stage_failed(request, target):
    tutorial, sandbox = request.getfixturevalue("tutorial"), request.getfixturevalue("sandbox")
    sandbox.set_fault(kind="action_failure", pipeline=tutorial.pipeline, stage="Deploy", times=1)
    tutorial.push_image()
    return poll_until(sandbox, target, offered(A.RETRY_STAGE), what="a failed stage")


def ready(request, target):
    return request.getfixturevalue("ready")


def termination_wait(request, target):
    target, boto = request.getfixturevalue("ready"), request.getfixturevalue("boto")
    boto.codedeploy.continue_deployment(
        deploymentId=target.latest_deployment().deployment_id, deploymentWaitType="READY_WAIT"
    )
    return poll_until(boto.sandbox, target, in_termination_wait, what="the termination wait")


def stage_retried(boto, target, before, action):
    stage = boto.codepipeline.get_pipeline_state(name=target.pipeline_name)["stageStates"]
    deploy = next(s for s in stage if s["stageName"] == "Deploy")
    return deploy["latestExecution"]["status"] != "Failed"


def moved_on_from_ready(boto, target, before, action):
    boto.sandbox.advance(2)
    return deployment(boto, action.params["deployment_id"])["status"] != "Ready"


def succeeded(boto, target, before, action):
    boto.sandbox.advance(2)
    return deployment(boto, action.params["deployment_id"])["status"] == "Succeeded"


CASES = {
    A.RELEASE_CHANGE: (
        ("codepipeline", "StartPipelineExecution"),
        idle,
        lambda boto, target, before, action: len(executions(boto, target)) == before["executions"] + 1,
    ),
    A.STOP_EXECUTION: (
        ("codepipeline", "StopPipelineExecution"),
        executing,
        lambda boto, target, before, action: (
            boto.codepipeline.get_pipeline_execution(
                pipelineName=target.pipeline_name, pipelineExecutionId=action.params["execution_id"]
            )["pipelineExecution"]["status"]
            in ("Stopping", "Stopped")
        ),
    ),
    A.RETRY_STAGE: (("codepipeline", "RetryStageExecution"), stage_failed, stage_retried),
    A.REROUTE: (("codedeploy", "ContinueDeployment"), ready, moved_on_from_ready),
    A.ROLLBACK: (
        ("codedeploy", "StopDeployment"),
        ready,
        lambda boto, target, before, action: deployment(boto, action.params["deployment_id"])["status"] == "Stopped",
    ),
    A.TERMINATE_ORIGINAL: (("codedeploy", "ContinueDeployment"), termination_wait, succeeded),
    A.REDEPLOY_PREVIOUS: (
        ("codedeploy", "CreateDeployment"),
        idle,
        lambda boto, target, before, action: len(deployments(boto, target)) == before["deployments"] + 1,
    ),
}


def ask(client, target, kind):
    """The operator's click: the dialog's form, with the ids the page showed."""
    shown = offers.available(target)[kind]
    fields = {key: shown[key] for key in ("deployment_id", "execution_id", "stage") if key in shown}
    response = client.post(
        reverse("release-action", args=[target.pk, kind]), {"reason": "seen in the console", **fields}, headers=HTMX
    )
    assert response.status_code == 200, response.content.decode()
    return A.objects.filter(target=target, kind=kind).latest("pk")


def audit_outcomes(action):
    rows = AuditEvent.objects.filter(action=KINDS[action.kind].event, target_id=str(action.pk)).order_by("pk")
    return [row.outcome for row in rows], rows


@pytest.mark.parametrize("kind", list(CASES))
def test_a_worker_killed_while_aws_takes_the_call_ends_as_aws_shows_with_one_call(
    kind, request, transactional_db, tracked, sandbox, boto, client, operator, job_queue, tmp_path
):
    (service, operation), reach, applied = CASES[kind]
    target = reach(request, tracked)
    before = {"executions": len(executions(boto, target)), "deployments": len(deployments(boto, target))}
    calls = aws_calls(sandbox, service, operation)
    client.force_login(operator)
    log = (tmp_path / "workers.log").open("w")  # read it when this test fails

    action = kill_mid_call(sandbox, job_queue, log, service, operation, lambda: ask(client, target, kind))
    wait_for(lambda: applied(boto, target, before, action), what=f"AWS to apply the {operation} it was sent")
    action = sweep_and_finish(action, job_queue, log)
    log.close()

    assert (action.status, action.error_code) == (A.CONFIRMED, ""), action.error_message
    assert action.result["reconciled"].startswith("AWS showed it applied")
    # Release change alone is asked again: with its idempotency token, which AWS answers with the same execution.
    again = 1 if kind == A.RELEASE_CHANGE else 0
    assert aws_calls(sandbox, service, operation) == calls + 1 + again
    assert applied(boto, target, before, action)
    outcomes, rows = audit_outcomes(action)
    assert outcomes == ["requested", "unknown", "succeeded"]
    assert rows[1].params["status"] == "outcome unknown, checking AWS" and rows[1].error_code == "WorkerLost"
    assert rows[2].follows_id == rows[0].pk
    status_url = reverse("release-action-status", args=[action.pk])
    assert client.get(status_url, headers=HTMX).status_code == 286


def test_a_reroute_whose_answer_timed_out_is_sent_once_and_confirmed_from_aws(
    transactional_db, ready, sandbox, boto, client, operator, job_queue, tmp_path
):
    calls = aws_calls(sandbox, "codedeploy", "ContinueDeployment")
    sandbox.set_fault(kind="latency", service="codedeploy", operation="ContinueDeployment", ms=2500, times=1)
    client.force_login(operator)
    log = (tmp_path / "workers.log").open("w")
    worker = start_worker(
        job_queue, log, JOB_LEASE_SECONDS=2, AWS_READ_TIMEOUT=1, AWS_MAX_ATTEMPTS=5, ACTION_RECONCILE_SECONDS=5
    )
    try:
        action = ask(client, ready, A.REROUTE)
        wait_for(lambda: A.objects.get(pk=action.pk).error_code, what="the read timeout")
        action.refresh_from_db()
        assert (action.status, action.error_code) == (A.SENT, "ReadTimeoutError")
        page = client.get(reverse("release-action-status", args=[action.pk]), headers=HTMX)
        assert page.status_code == 200 and "checking what AWS shows" in page.content.decode()
        wait_for(lambda: moved_on_from_ready(boto, ready, None, action), what="AWS to apply the reroute it took")
        assert A.objects.get(pk=action.pk).status == A.SENT  # not read before AWS has had its time
        wait_for(lambda: A.objects.get(pk=action.pk).is_finished, timeout=30, what="the reconcile")
    finally:
        stop(worker)
        log.close()

    action.refresh_from_db()
    assert action.status == A.CONFIRMED and action.result["reconciled"] == "AWS showed it applied"
    assert aws_calls(sandbox, "codedeploy", "ContinueDeployment") == calls + 1  # botocore would have sent 5
    outcomes, rows = audit_outcomes(action)
    assert outcomes == ["requested", "unknown", "succeeded"] and rows[1].error_code == "ReadTimeoutError"


def test_a_reroute_of_a_new_deployment_is_accepted_while_an_older_ones_action_is_unresolved(ready, client, operator):
    stuck = A.objects.create(
        target=ready,
        kind=A.REROUTE,
        params={"deployment_id": "d-OLDER0000"},
        subject="d-OLDER0000",
        reason="earlier",
        status=A.SENT,
        requested_by=operator,
    )
    client.force_login(operator)
    action = ask(client, ready, A.REROUTE)
    assert action.pk != stuck.pk and action.subject == ready.latest_deployment().deployment_id
    assert A.objects.filter(status__in=A.OPEN).count() == 2


def test_an_action_never_sent_is_recorded_not_applied_and_not_sent_later(db, ready, sandbox, operator, job_queue):
    from datetime import timedelta

    from django.utils import timezone

    from releases import action_requests
    from releases.worker import action_sending

    calls = aws_calls(sandbox, "codedeploy", "ContinueDeployment")
    action = action_requests.request_action(ready, A.REROUTE, user=operator, reason="go")
    A.objects.filter(pk=action.pk).update(  # a worker took it, then died before its call went out
        status=A.SENT, attempts=1, lease_owner="dead", lease_expires_at=timezone.now() - timedelta(1)
    )
    assert jobs.sweep() == [("operatoraction", action.pk, "requeued")]
    action_sending.reconcile(action.pk)

    action.refresh_from_db()
    assert (action.status, action.error_code) == (A.FAILED, "NotApplied")
    assert "not applied" in action.error_message
    assert aws_calls(sandbox, "codedeploy", "ContinueDeployment") == calls
    assert audit_outcomes(action)[0] == ["requested", "unknown", "failed"]
