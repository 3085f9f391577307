"""Operator actions: offered only when AWS accepts them, checked again, sent once, audited with the outcome."""

import threading

from django.db import connection
from django.test import Client
from django.urls import reverse

from dashboard.audit import AuditEvent
from releases import action_kinds, action_requests, offers
from releases.models import OperatorAction
from releases.tests.conftest import deployment_status, poll_until, wait_for
from releases.worker import action_sending


def reroute_url(target):
    return reverse("release-action", args=[target.pk, OperatorAction.REROUTE])


def closed(action):
    def check():
        action.refresh_from_db()
        return not action.is_open and action

    return check


def continue_calls(sandbox):
    return sandbox.calls().get("codedeploy", {}).get("ContinueDeployment", 0)


def test_a_double_click_sends_one_reroute_and_the_second_click_is_told(client, operator, ready, sandbox, worker):
    client.force_login(operator)
    before = continue_calls(sandbox)
    form = {"reason": "smoke test passed", "deployment_id": ready.latest_deployment().deployment_id}
    first = client.post(reroute_url(ready), form, headers={"HX-Request": "true"})
    second = client.post(reroute_url(ready), form, headers={"HX-Request": "true"})

    assert first.status_code == 200 and b"every 1s" in first.content
    assert "otto-operator already asked for “Reroute traffic”" in second.content.decode()
    action = wait_for(closed(OperatorAction.objects.get()), what="the reroute to be sent")
    assert action.status == OperatorAction.CONFIRMED
    assert continue_calls(sandbox) == before + 1


def test_two_operators_at_once_send_one_call(ready, sandbox, worker, operator):
    from conftest import make_user

    other = make_user("olga-operator", "operator")
    before = continue_calls(sandbox)
    barrier = threading.Barrier(2)
    answers = []

    def press(user):
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            answers.append(client.post(reroute_url(ready), {"reason": "go now"}, headers={"HX-Request": "true"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(u,)) for u in (operator, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert OperatorAction.objects.count() == 1
    told = [a.content.decode() for a in answers if "already asked" in a.content.decode()]
    assert len(told) == 1
    wait_for(closed(OperatorAction.objects.get()), what="the reroute to be sent")
    assert continue_calls(sandbox) == before + 1


def test_a_viewer_is_refused_every_action(client, viewer, ready, sandbox):
    client.force_login(viewer)
    before = sandbox.calls()
    for kind in action_kinds.KINDS:
        url = reverse("release-action", args=[ready.pk, kind])
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "let me"}).status_code == 403
    page = client.get(ready.get_absolute_url()).content.decode()
    assert "Reroute traffic" not in page and "operator role is needed" in page
    assert OperatorAction.objects.count() == 0 and sandbox.calls() == before


def test_only_actions_aws_accepts_now_are_offered_and_the_server_checks_again(client, operator, tracked, sandbox):
    assert set(offers.available(tracked)) == {OperatorAction.RELEASE_CHANGE, OperatorAction.REDEPLOY_PREVIOUS}
    client.force_login(operator)
    response = client.post(reroute_url(tracked), {"reason": "force it"})
    assert "“Reroute traffic” is not possible in the current state." in response.content.decode()
    assert OperatorAction.objects.count() == 0


def test_an_action_on_a_deployment_that_moved_on_is_refused(client, operator, ready):
    client.force_login(operator)
    response = client.post(reroute_url(ready), {"reason": "go now", "deployment_id": "d-OLDONE000"})
    assert "the deployment id changed since the page was shown" in response.content.decode()
    assert OperatorAction.objects.count() == 0


def test_aws_refusing_an_action_is_said_in_plain_words_and_audited(ready, operator, boto, sandbox):
    deployment = ready.latest_deployment()
    action = action_requests.request_action(ready, OperatorAction.REROUTE, user=operator, reason="go")
    boto.codedeploy.continue_deployment(deploymentId=deployment.deployment_id, deploymentWaitType="READY_WAIT")
    for _ in range(12):  # someone else ends the termination wait as soon as AWS has moved the traffic
        sandbox.advance(5)
        try:
            boto.codedeploy.continue_deployment(
                deploymentId=deployment.deployment_id, deploymentWaitType="TERMINATION_WAIT"
            )
            break
        except boto.codedeploy.exceptions.DeploymentIsNotInReadyStateException:
            continue
    else:
        raise AssertionError("the deployment never reached its termination wait")
    action = action_sending.send(action.pk)

    assert action.status == OperatorAction.REJECTED
    assert action.error_message.startswith("The deployment is not waiting for that any more.")
    requested, failed = AuditEvent.objects.filter(action="release.reroute").order_by("id")
    assert (requested.outcome, failed.outcome) == ("requested", "failed")
    assert failed.follows_id == requested.pk and failed.actor == operator
    assert failed.error_code == "DeploymentIsNotInReadyStateException"


def test_an_action_is_audited_with_who_why_parameters_and_aws_request_id(ready, operator):
    action = action_requests.request_action(ready, OperatorAction.REROUTE, user=operator, reason="smoke test passed")
    action_sending.send(action.pk)
    requested, succeeded = AuditEvent.objects.filter(action="release.reroute").order_by("id")
    assert requested.actor == operator and requested.reason == "smoke test passed"
    assert requested.params["deployment_id"] == ready.latest_deployment().deployment_id
    assert succeeded.outcome == "succeeded" and succeeded.follows_id == requested.pk
    assert succeeded.aws_request_id and succeeded.aws_request_id == OperatorAction.objects.get().request_id


def test_release_change_starts_an_execution_and_stop_abandons_it(tracked, operator, sandbox):
    release = action_requests.request_action(tracked, OperatorAction.RELEASE_CHANGE, user=operator, reason="rebuild")
    release = action_sending.send(release.pk)
    assert release.status == OperatorAction.CONFIRMED and release.result["execution_id"]
    target = poll_until(sandbox, tracked, lambda t: OperatorAction.STOP_EXECUTION in offers.available(t), step=1)
    stop = action_requests.request_action(
        target, OperatorAction.STOP_EXECUTION, user=operator, reason="wrong commit", extra={"abandon": True}
    )
    stop = action_sending.send(stop.pk)
    assert stop.status == OperatorAction.CONFIRMED
    assert stop.params == {"execution_id": release.result["execution_id"], "abandon": True}
    target = poll_until(sandbox, target, lambda t: t.latest_execution().status == "Stopped", step=1)


def test_a_failed_stage_can_be_retried(tracked, tutorial, operator, sandbox):
    sandbox.set_fault(kind="action_failure", pipeline=tutorial.pipeline, stage="Deploy", times=1)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, lambda t: OperatorAction.RETRY_STAGE in offers.available(t))
    retry = action_requests.request_action(target, OperatorAction.RETRY_STAGE, user=operator, reason="flaky")
    assert retry.params["stage"] == "Deploy"
    assert action_sending.send(retry.pk).status == OperatorAction.CONFIRMED
    poll_until(sandbox, target, deployment_status("Ready"), what="the retried deploy to be Ready")


def test_redeploy_previous_deploys_the_task_definition_that_ran_before(tracked, operator, sandbox):
    offered = offers.available(tracked)[OperatorAction.REDEPLOY_PREVIOUS]
    assert offered["task_definition"].endswith(":1")
    redeploy = action_sending.send(
        action_requests.request_action(
            tracked, OperatorAction.REDEPLOY_PREVIOUS, user=operator, reason="bad release"
        ).pk
    )
    assert redeploy.status == OperatorAction.CONFIRMED
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="the redeployment to be Ready")
    deployment = target.latest_deployment()
    assert deployment.deployment_id == redeploy.result["new_deployment_id"]
    assert deployment.green["task_definition"] == offered["task_definition"]
