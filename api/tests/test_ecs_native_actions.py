"""An ECS blue/green service (no CodeDeploy) through the API: its service deployment in the state, Continue offered
while a pause hook waits and sent once, and AWS's refusal of a Roll back that came too late, by its code."""

from api.tests.conftest import bearer
from api.tests.test_actions import finished, post
from dashboard.audit import AuditEvent
from dashboard.tests.workers import wait_for
from releases.models import OperatorAction
from releases.tests.conftest import poll_until
from releases.tests.ecs_native import pause_waits, release_with_pause, track_service


def test_continue_is_offered_while_a_pause_hook_waits_and_is_sent_once(
    client, operate_token, ecs_service, sandbox, worker
):
    target = track_service(ecs_service)
    arn = release_with_pause(ecs_service)
    poll_until(sandbox, target, pause_waits, step=2, timeout=30)
    state = client.get(f"/api/targets/{target.pk}", headers=bearer(operate_token)).json()
    assert state["engine"] == "ecs" and state["service_deployment"]["arn"] == arn
    assert state["service_deployment"]["hooks"][0]["status"] == "AWAITING_ACTION"
    offered = client.get(f"/api/targets/{target.pk}/actions", headers=bearer(operate_token)).json()
    kinds = {a["kind"]: a["params"] for a in offered["actions"]}
    assert set(kinds) == {"continue_hook", "rollback"}

    first = post(
        client,
        operate_token,
        target,
        "continue_hook",
        reason="checked on the test port",
        deployment_id=kinds["continue_hook"]["deployment_id"],
    )
    second = post(client, operate_token, target, "continue_hook", reason="checked on the test port")
    assert first.status_code == 202 and second.status_code == 409
    done = wait_for(finished(client, operate_token, first.json()["status_url"]), what="Continue to be sent")
    assert done["status"] == "confirmed" and done["request_id"]
    assert ecs_service.deployment(arn)["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"
    assert AuditEvent.objects.filter(action="release.continue_hook", outcome="succeeded").count() == 1


def test_a_rollback_ecs_refuses_shows_its_code_and_message(client, operate_token, ecs_service, boto, sandbox, worker):
    target = track_service(ecs_service)
    arn = release_with_pause(ecs_service)
    poll_until(sandbox, target, pause_waits, step=2, timeout=30)
    boto.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")  # someone else, outside
    ecs_service.wait(arn, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL", step=2, limit=120)

    asked = post(client, operate_token, target, "rollback", reason="bad image").json()
    done = wait_for(finished(client, operate_token, asked["status_url"]), what="AWS's answer")
    action = OperatorAction.objects.get()
    assert done["status"] == action.status == "rejected"
    assert done["error"]["code"] == action.error_code and action.error_code
    assert action.error_code in done["error"]["message"]
