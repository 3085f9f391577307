"""Actions through the API, against the sandbox with a real worker: the console's own request (roles, send-once,
audit), so a repeated request makes one AWS call, and AWS's refusal reads as the console shows it."""

from api.tests.conftest import bearer
from dashboard.audit import AuditEvent
from dashboard.tests.workers import aws_calls, wait_for
from releases.models import OperatorAction


def post(client, secret, target, kind, **body):
    return client.post(
        f"/api/targets/{target.pk}/actions/{kind}", body, content_type="application/json", headers=bearer(secret)
    )


def finished(client, secret, url):
    def check():
        answer = client.get(url, headers=bearer(secret)).json()
        return not answer["is_open"] and answer

    return check


def test_a_reroute_asked_twice_through_the_api_makes_one_aws_call(client, operate_token, ready, sandbox, worker):
    before = aws_calls(sandbox, "codedeploy", "ContinueDeployment")
    offered = client.get(f"/api/targets/{ready.pk}/actions", headers=bearer(operate_token)).json()
    (reroute,) = [a for a in offered["actions"] if a["kind"] == "reroute"]
    assert offered["may_request"] is True

    first = post(client, operate_token, ready, "reroute", reason="smoke tests passed", **reroute["params"])
    second = post(client, operate_token, ready, "reroute", reason="smoke tests passed", **reroute["params"])

    assert first.status_code == 202 and first.json()["status"] == "requested"
    assert second.status_code == 409 and "otto-operator already asked for “Reroute traffic”" in second.json()["detail"]
    done = wait_for(finished(client, operate_token, first.json()["status_url"]), what="the reroute to be sent")
    assert done["status"] == "confirmed" and done["request_id"] and done["error"] is None
    assert aws_calls(sandbox, "codedeploy", "ContinueDeployment") == before + 1
    requested = AuditEvent.objects.get(action="release.reroute", outcome="requested")
    assert requested.actor_name == "otto-operator" and requested.params["api_token"] == "CI deploy"
    assert requested.reason == "smoke tests passed"
    assert OperatorAction.objects.get().requested_by.username == "otto-operator"


def test_an_action_on_a_deployment_that_moved_on_is_refused_with_409(client, operate_token, ready, sandbox):
    response = post(client, operate_token, ready, "reroute", reason="go now", deployment_id="d-OLDONE000")
    assert response.status_code == 409
    assert "the deployment id changed since the page was shown" in response.json()["detail"]
    assert not OperatorAction.objects.exists()


def test_an_action_aws_refuses_shows_its_code_and_message(client, operate_token, ready, boto, sandbox, worker):
    deployment = ready.latest_deployment().deployment_id
    boto.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="READY_WAIT")
    for _ in range(12):  # someone else, outside the dashboard, ends the wait too: the reroute comes too late
        sandbox.advance(5)
        try:
            boto.codedeploy.continue_deployment(deploymentId=deployment, deploymentWaitType="TERMINATION_WAIT")
            break
        except boto.codedeploy.exceptions.DeploymentIsNotInReadyStateException:
            continue
    else:
        raise AssertionError("the deployment never reached its termination wait")

    asked = post(client, operate_token, ready, "reroute", reason="go now", deployment_id=deployment).json()
    done = wait_for(finished(client, operate_token, asked["status_url"]), what="AWS's answer")

    action = OperatorAction.objects.get()
    assert done["status"] == action.status == "rejected"
    assert done["error"] == {"code": action.error_code, "message": action.error_message}
    assert done["error"]["message"].startswith("The deployment is not waiting for that any more.")


def test_an_approval_is_offered_and_approved_through_the_api(client, operate_token, awaiting_approval, worker):
    offered = client.get(f"/api/targets/{awaiting_approval.pk}/actions", headers=bearer(operate_token)).json()
    (approve,) = [a for a in offered["actions"] if a["kind"] == "approve"]
    assert approve["params"]["approval"] == "Review" and approve["params"]["stage"] == "Approval"
    assert "reject" in {a["kind"] for a in offered["actions"]}

    first = post(client, operate_token, awaiting_approval, "approve", reason="notes read", **approve["params"])
    assert first.status_code == 202
    done = wait_for(finished(client, operate_token, first.json()["status_url"]), what="the approval to be sent")
    assert done["status"] == "confirmed" and done["params"]["approval"] == "Review"


def test_a_release_on_a_frozen_target_is_refused_with_the_freezes_reason(client, operate_token, tracked, admin_user):
    from datetime import timedelta

    from django.utils import timezone

    from releases import freezes

    freezes.set_freeze(tracked, until=timezone.now() + timedelta(hours=1), reason="quarter close", user=admin_user)
    response = post(client, operate_token, tracked, "release_change", reason="ship it", override_freeze="mine")
    assert response.status_code == 409
    assert response.json()["code"] == "frozen" and "“quarter close”" in response.json()["detail"]
    assert not OperatorAction.objects.exists()


def test_an_action_under_four_eyes_waits_for_a_second_operator_through_the_api_and_is_sent_once(
    client, operate_token, tracked, admin_user, sandbox, worker
):
    from api.tests.conftest import make_token
    from releases.web import four_eyes

    four_eyes.choose(tracked, ["release_change"], user=admin_user)
    before = aws_calls(sandbox, "codepipeline", "StartPipelineExecution")
    asked = post(client, operate_token, tracked, "release_change", reason="ship it")
    assert asked.status_code == 202
    pending = asked.json()
    assert (
        pending["four_eyes"] is True and pending["status"] == "pending" and pending["requested_by"] == "otto-operator"
    )
    assert not OperatorAction.objects.exists()
    listed = client.get(f"/api/targets/{tracked.pk}/four-eyes", headers=bearer(operate_token)).json()
    assert [row["id"] for row in listed] == [pending["id"]]

    own = client.post(
        f"{pending['status_url']}/approve",
        {"reason": "fine by me"},
        content_type="application/json",
        headers=bearer(operate_token),
    )
    assert own.status_code == 409 and "a different operator must answer it" in own.json()["detail"]
    second = make_token(admin_user, name="second operator")[1]
    too_short = client.post(
        f"{pending['status_url']}/approve", {"reason": "ok"}, content_type="application/json", headers=bearer(second)
    )
    assert too_short.status_code == 400 and "reason" in too_short.json()["errors"]

    approved = client.post(
        f"{pending['status_url']}/approve",
        {"reason": "diff reviewed"},
        content_type="application/json",
        headers=bearer(second),
    ).json()
    assert approved["status"] == "approved" and approved["decided_by"] == "ada-admin" and approved["action_url"]
    done = wait_for(finished(client, operate_token, approved["action_url"]), what="the approved release change")
    assert done["status"] == "confirmed" and done["requested_by"] == "otto-operator"
    again = client.post(
        f"{pending['status_url']}/approve",
        {"reason": "diff reviewed"},
        content_type="application/json",
        headers=bearer(second),
    )
    assert again.status_code == 409
    assert aws_calls(sandbox, "codepipeline", "StartPipelineExecution") == before + 1
    assert OperatorAction.objects.count() == 1
