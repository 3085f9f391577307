"""Each of the seven release and deployment actions (approvals: test_browser_approvals.py), as an operator uses
it: from the console page in a real browser, through its dialog, with AWS (the sandbox, read back with boto3) seen to
act. And a viewer, who may watch but not act."""

import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from releases.models import OperatorAction
from releases.tests.browser import confirm, open_console
from releases.tests.conftest import deployment_status, poll_until, wait_for

pytestmark = pytest.mark.browser
A = OperatorAction


@pytest.fixture
def console(settings, tracked, worker, sign_in, operator, live_server):
    expect.set_options(timeout=10_000)
    yield open_console(sign_in(operator), live_server, tracked, settings)
    expect.set_options(timeout=5_000)  # Playwright's default, for the tests of other apps


def executions(boto, tutorial):
    return {
        e["pipelineExecutionId"]: e
        for e in boto.codepipeline.list_pipeline_executions(pipelineName=tutorial.pipeline)[
            "pipelineExecutionSummaries"
        ]
    }


def serving(boto, listener_arn):
    """The target group a listener sends all its traffic to, as ELB says."""
    action = boto.elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"][0]
    if action.get("TargetGroupArn"):
        return action["TargetGroupArn"]
    groups = action["ForwardConfig"]["TargetGroups"]
    return next((g["TargetGroupArn"] for g in groups if g.get("Weight") == 100), None)


def until(sandbox, check, *, step=5, timeout=20, what="AWS to act"):
    """Move the sandbox clock on until `check()` (read from AWS with boto3) holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        sandbox.advance(step)
    raise AssertionError(f"{what} did not happen")


def confirmed(kind):
    def check():
        action = OperatorAction.objects.filter(kind=kind).first()
        return action is not None and action.status == A.CONFIRMED and action

    return check


def test_release_change_starts_an_execution_idle_and_mid_release_and_stop_execution_stops_one(
    console, tracked, tutorial, sandbox, boto, live_server
):
    page = console
    # Idle, the dialog offers it (not "not possible"); Escape closes it and focus goes back to its button.
    button = page.locator(f"#actions a[data-action={A.RELEASE_CHANGE}]")
    button.click()
    expect(page.locator("#action-dialog form.confirm")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#action-dialog")).to_be_hidden()
    expect(button).to_be_focused()
    # Idle, by the action's own address (no dialog): the form is offered too.
    before = executions(boto, tutorial)
    page.goto(live_server.url + reverse("release-action", args=[tracked.pk, A.RELEASE_CHANGE]))
    expect(page.locator("form.confirm")).to_be_visible()
    expect(page.get_by_text("not possible")).to_have_count(0)
    page.fill("textarea", "pick up the base image fix")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text(tracked.name)
    first = wait_for(confirmed(A.RELEASE_CHANGE), what="the release change to be sent")
    started = first.result["execution_id"]
    assert started not in before
    assert executions(boto, tutorial)[started]["trigger"]["triggerType"] == "StartPipelineExecution"

    # Mid-release (that execution's deployment waits for a reroute), through the dialog: AWS starts another one.
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
    assert target.latest_execution().execution_id == started
    second = confirm(page, A.RELEASE_CHANGE, "one more change to ship")
    expect(button).to_be_focused()
    newer = second.result["execution_id"]
    assert newer not in (started, *before)
    now = executions(boto, tutorial)
    assert now[started]["status"] == "InProgress"
    assert now[newer]["status"] == "InProgress"  # SUPERSEDED: it waits to overtake at the next stage
    assert now[newer]["trigger"]["triggerType"] == "StartPipelineExecution"

    # Stop execution, "stop and abandon", on the newest execution.
    target = poll_until(
        sandbox, target, lambda t: t.latest_execution().execution_id == newer, step=0, what="the newer execution"
    )
    stop = confirm(page, A.STOP_EXECUTION, "shipped too early", abandon=True)
    assert stop.params["execution_id"] == newer and stop.params["abandon"] is True
    until(
        sandbox,
        lambda: executions(boto, tutorial)[newer]["status"] == "Stopped",
        step=1,
        what="the execution to stop",
    )
    assert executions(boto, tutorial)[newer]["stopTrigger"]["reason"] == "otto-operator: shipped too early"


def test_retry_stage_runs_the_failed_deploy_stage_again(console, tracked, tutorial, sandbox, boto):
    page = console
    sandbox.set_fault(kind="deployment_failure", lifecycle_event="AfterAllowTestTraffic")
    tutorial.push_image()
    target = poll_until(
        sandbox,
        tracked,
        lambda t: (
            t.latest_execution().status == "Failed"
            and t.latest_deployment().rollback_of
            and t.latest_deployment().status == "Succeeded"
        ),
        timeout=30,
        what="the release to fail and roll back",
    )
    failed = target.latest_execution().execution_id
    deployments_before = len(tutorial.deployments())

    retry = confirm(page, A.RETRY_STAGE, "the hook failed on a flaky check")
    assert retry.params == {"execution_id": failed, "stage": "Deploy"}
    state = boto.codepipeline.get_pipeline_state(name=tutorial.pipeline)
    deploy = next(s for s in state["stageStates"] if s["stageName"] == "Deploy")
    assert (deploy["latestExecution"]["pipelineExecutionId"], deploy["latestExecution"]["status"]) == (
        failed,
        "InProgress",
    )
    until(sandbox, lambda: len(tutorial.deployments()) == deployments_before + 1, what="a new deployment")
    assert executions(boto, tutorial)[failed]["status"] == "InProgress"


def test_reroute_then_terminate_original_then_redeploy_previous(console, tracked, tutorial, sandbox, boto):
    page = console
    prod = tutorial.listeners["prod"]
    original_group = serving(boto, prod)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
    release = target.latest_deployment()
    previous_task_definition = release.blue["task_definition"]

    confirm(page, A.REROUTE, "smoke test on :8080 passed")
    target = poll_until(sandbox, target, lambda t: t.latest_deployment().is_termination_wait, what="rerouted")
    assert serving(boto, prod) not in (None, original_group)

    confirm(page, A.TERMINATE_ORIGINAL, "new version healthy")
    target = poll_until(sandbox, target, deployment_status("Succeeded"), what="Succeeded")
    answer = boto.codedeploy.get_deployment(deploymentId=release.deployment_id)["deploymentInfo"]
    assert answer["status"] == "Succeeded"
    service = boto.ecs.describe_services(cluster=tutorial.cluster, services=[tutorial.service])["services"][0]
    assert [s["taskDefinition"] for s in service["taskSets"]] == [release.task_definition_arn]

    redeploy = confirm(page, A.REDEPLOY_PREVIOUS, "roll the release back after the fact")
    made = boto.codedeploy.get_deployment(deploymentId=redeploy.result["new_deployment_id"])["deploymentInfo"]
    assert made["description"].startswith("Redeploy previous revision, by otto-operator")
    assert previous_task_definition in made["revision"]["appSpecContent"]["content"]
    target = poll_until(
        sandbox,
        target,
        lambda t: (
            t.latest_deployment().deployment_id == made["deploymentId"] and t.latest_deployment().status == "Ready"
        ),
        what="the redeployment to be ready",
    )
    expect(page.locator("#deployment-status")).to_have_text("Ready")


def test_roll_back_stops_the_deployment_and_says_so_only_while_the_rollback_runs(
    console, tracked, tutorial, sandbox, boto
):
    page = console
    prod = tutorial.listeners["prod"]
    original_group = serving(boto, prod)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
    release = target.latest_deployment()

    rollback = confirm(page, A.ROLLBACK, "the test listener shows errors")
    assert rollback.result["stop_message"] == "Stopping the deployment; a rollback deployment is in progress."
    stopped = boto.codedeploy.get_deployment(deploymentId=release.deployment_id)["deploymentInfo"]
    assert stopped["status"] == "Stopped"
    rollback_id = stopped["rollbackInfo"]["rollbackDeploymentId"]
    target = poll_until(sandbox, target, lambda t: t.latest_deployment().rollback_of, step=0, what="the rollback")
    expect(page.locator("#last-action")).to_contain_text("a rollback deployment is in progress")

    poll_until(
        sandbox,
        target,
        lambda t: t.latest_deployment().status == "Succeeded",
        step=1,
        what="the rollback deployment to finish",
    )
    assert boto.codedeploy.get_deployment(deploymentId=rollback_id)["deploymentInfo"]["status"] == "Succeeded"
    assert serving(boto, prod) == original_group
    expect(page.locator("#last-action")).to_contain_text(f"rollback deployment {rollback_id} Succeeded")
    expect(page.locator("#last-action")).not_to_contain_text("in progress")


def test_a_viewer_sees_no_action_buttons_and_a_post_of_theirs_is_refused(
    transactional_db, tracked, tutorial, sandbox, boto, sign_in, viewer, live_server, settings
):
    page = open_console(sign_in(viewer), live_server, tracked, settings)
    expect(page.locator("#actions")).to_contain_text("the operator role is needed to act")
    expect(page.locator("#actions [data-action]")).to_have_count(0)
    calls = sandbox.calls()
    before = executions(boto, tutorial)
    for kind in (A.RELEASE_CHANGE, A.REROUTE):
        url = reverse("release-action", args=[tracked.pk, kind])
        status = page.evaluate(
            """async url => {
                 const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
                 const form = new URLSearchParams({reason: "I would like a release"});
                 const answer = await fetch(url, {method: "POST", body: form, headers: {"X-CSRFToken": token}});
                 return answer.status;
               }""",
            url,
        )
        assert status == 403
    assert OperatorAction.objects.count() == 0
    assert executions(boto, tutorial).keys() == before.keys()
    assert sandbox.calls().get("codepipeline", {}).get("StartPipelineExecution", 0) == calls.get(
        "codepipeline", {}
    ).get("StartPipelineExecution", 0)
