"""The Verify step in a real browser: it follows the release that creating the pipeline started, says at each point
what happens and what to do, sends the user to the release console to reroute, and says why a release failed.

Steps 0-6 are made by `manage.py provision` (the same step functions as the wizard); Verify is run from its page.
The sandbox's clock stands still between the test's moves, so each phase stays on screen until the test moves on.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import SCREENSHOTS
from provisioning.tests.checks import follow_release_to_the_end, provision_in_thread
from releases.models import OperatorAction, ReleaseTarget
from releases.tests.conftest import wait_for
from releases.worker import polling

pytestmark = pytest.mark.browser

PIPELINE, APP, GROUP, TARGET_ID = "shop-pipeline", "shop-app", "shop-dg", "shop-cluster:shop-service"


@pytest.fixture
def verify_page(page, live_server, admin_user, sign_in, worker, settings):
    settings.RELEASES_PAGE_POLL_SECONDS = settings.RELEASES_PAGE_IDLE_POLL_SECONDS = 0.5
    expect.set_options(timeout=15_000)  # a worker on a busy machine; each wait ends as soon as the page shows it

    def open_after(sandbox, *options):
        provision_in_thread(sandbox, "shop", "--until", "pipeline", "--sample-image", *options)
        sign_in(admin_user)
        page.goto(f"{live_server.url}/setup/shop/steps/verify/")
        expect(page.locator("#id_verify_mode_0")).to_be_checked()  # push a new image, if there is no release
        return page

    yield open_after
    expect.set_options(timeout=5_000)  # Playwright's default, for the other tests


def executions(aws):
    return aws.codepipeline.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"]


def deployment(aws):
    """The newest deployment of the group (the release's, while there is one), with its ECS target."""
    ids = aws.codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"]
    infos = aws.codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"] if ids else []
    if not infos:
        return None, None
    info = max(infos, key=lambda i: i["createTime"])
    try:
        targets = aws.codedeploy.batch_get_deployment_targets(deploymentId=info["deploymentId"], targetIds=[TARGET_ID])
    except aws.codedeploy.exceptions.DeploymentNotStartedException:
        return info, None
    return info, targets["deploymentTargets"][0]["ecsTarget"]


def event(target, name):
    return next(e for e in target["lifecycleEvents"] if e["lifecycleEventName"] == name)


def advance_until(sandbox, aws, condition, *, step=1, limit=600, what="the condition"):
    """Move the sandbox's clock `step` seconds at a time until `condition(deployment, target)` holds in AWS."""
    for _ in range(limit):
        info, target = deployment(aws)
        if info is not None and condition(info, target):
            return info, target
        sandbox.advance(step)
    raise AssertionError(f"{what} did not happen within {limit * step} sandbox seconds; last: {info}")


def ready(info, target):
    return info["status"] == "Ready"


def in_termination_wait(info, target):
    return info["status"] == "InProgress" and target is not None and target["status"] == "Succeeded"


def installing(info, target):
    return target is not None and event(target, "Install")["status"] == "InProgress"


def hhmm(moment):
    return timezone.localtime(moment).strftime("%H:%M")


def snap(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"verify-{name}.png"), full_page=True)


def refresh_console(target):
    """What beat does every couple of seconds while a release is active (tests run no beat)."""
    polling.refresh(target.pk)


def test_verify_follows_the_release_creating_the_pipeline_started_to_succeeded(verify_page, aws, sandbox):
    page = verify_page(sandbox)
    (first,) = executions(aws)
    assert first["trigger"]["triggerType"] == "CreatePipeline"
    images = len(aws.ecr.describe_images(repositoryName="shop-images")["imageDetails"])

    page.get_by_role("button", name="Run this step").click()
    release = page.locator("#run li", has_text="The first release")
    expect(release).to_contain_text(f"execution {first['pipelineExecutionId'][:8]}, started by creating the pipeline")
    expect(page.get_by_role("button", name="Push a sample image")).to_have_count(0)

    _, target = advance_until(sandbox, aws, in_termination_wait, what="the termination wait")
    ends = event(target, "AfterAllowTraffic")["endTime"] + timedelta(minutes=60)
    expect(page.locator("#run .message.warning")).to_contain_text(
        f"Waiting for the original's termination (ends at {hhmm(ends)})"
    )
    expect(page.locator("#run .message.warning")).to_contain_text("You can terminate it now from the release console")
    expect(page.locator("#verify-next a")).to_have_text("Open the release console to terminate the original now")
    snap(page, "termination-wait")

    assert follow_release_to_the_end(aws, sandbox, PIPELINE, step_seconds=60, limit=70) == "Succeeded"
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    checklist = page.locator("#run .checklist")
    expect(checklist.locator("li").nth(2)).to_contain_text(f"execution {first['pipelineExecutionId'][:8]} Succeeded")
    expect(checklist.locator("li").last).to_contain_text("Succeeded: production traffic is on the replacement")
    expect(checklist).not_to_contain_text("InProgress")
    snap(page, "succeeded")
    expect(page.locator("#run")).to_contain_text("The first release succeeded")

    # AWS: that one release succeeded, and Verify started or pushed nothing of its own.
    (only,) = executions(aws)
    assert (only["pipelineExecutionId"], only["status"]) == (first["pipelineExecutionId"], "Succeeded")
    info, _ = deployment(aws)
    assert info["status"] == "Succeeded"
    assert len(aws.ecr.describe_images(repositoryName="shop-images")["imageDetails"]) == images


def test_verify_with_a_manual_gate_sends_the_user_to_reroute_and_goes_on_after_the_reroute(
    verify_page, aws, sandbox, live_server
):
    page = verify_page(sandbox, "--reroute", "wait", "--ready-wait-minutes", "30")
    page.get_by_role("button", name="Run this step").click()

    info, target = advance_until(sandbox, aws, ready, what="Ready")
    deadline = event(target, "AfterAllowTestTraffic")["endTime"] + timedelta(minutes=30)
    waiting = page.locator("#run .message.warning")
    expect(waiting).to_contain_text("Waiting for you to reroute traffic")
    expect(waiting).to_contain_text(f"If nobody does by {hhmm(deadline)}, CodeDeploy stops deployment")
    snap(page, "waiting-for-reroute")
    page.get_by_role("link", name="Open the release console to reroute traffic").click()

    tracked = ReleaseTarget.objects.get(pipeline_name=PIPELINE)
    expect(page).to_have_url(f"{live_server.url}{tracked.get_absolute_url()}")
    refresh_console(tracked)
    page.click("#actions a[data-action=reroute]")
    dialog = page.locator("#action-dialog")
    dialog.locator("textarea").fill("the new version answers on :8080")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".action-status")).to_have_attribute("data-status", "confirmed")
    assert OperatorAction.objects.get(kind=OperatorAction.REROUTE).status == OperatorAction.CONFIRMED

    page.go_back()
    _, target = advance_until(sandbox, aws, in_termination_wait, what="the termination wait")
    assert event(target, "AllowTraffic")["status"] == "Succeeded"  # production traffic moved after the reroute
    expect(page.locator("#run .message.warning")).to_contain_text("Waiting for the original's termination")
    assert follow_release_to_the_end(aws, sandbox, PIPELINE, step_seconds=60, limit=70) == "Succeeded"
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#run .checklist li").last).to_contain_text(f"{info['deploymentId']} Succeeded")
    assert aws.codedeploy.get_deployment(deploymentId=info["deploymentId"])["deploymentInfo"]["status"] == "Succeeded"
    assert executions(aws)[0]["status"] == "Succeeded"


def test_a_ready_wait_that_runs_out_says_nobody_rerouted_and_retry_follows_the_next_push(verify_page, aws, sandbox):
    page = verify_page(sandbox, "--reroute", "wait", "--ready-wait-minutes", "1")
    page.get_by_role("button", name="Run this step").click()
    info, _ = advance_until(sandbox, aws, ready, what="Ready")
    expect(page.locator("#run .message.warning")).to_contain_text("Waiting for you to reroute traffic")

    advance_until(sandbox, aws, lambda i, t: i["status"] == "Stopped", step=10, what="the ready wait to run out")
    error = page.locator("#run .message.error")
    expect(error).to_contain_text("NobodyRerouted")
    expect(error).to_contain_text("Nobody rerouted traffic before the ready wait (1 minute) ran out")
    expect(error).to_contain_text("production traffic stayed on the original task set")
    expect(error).to_contain_text("CodeDeploy's error: TIMEOUT: The deployment timed out waiting for traffic")
    expect(error).to_contain_text("press Reroute traffic in the release console")
    snap(page, "nobody-rerouted")
    stopped = aws.codedeploy.get_deployment(deploymentId=info["deploymentId"])["deploymentInfo"]
    assert (stopped["status"], stopped["errorInformation"]["code"]) == ("Stopped", "TIMEOUT")
    wait_for(lambda: executions(aws)[0]["status"] == "Failed", what="the execution to fail")

    # Retry: the failed release is not followed again; there is none other, so Verify waits for a push.
    error.get_by_role("button", name="Retry").click()
    expect(page.locator("#run .message.warning")).to_contain_text("No release to follow since the one that failed")
    page.get_by_role("button", name="Push a sample image").click()
    pushed = wait_for(lambda: len(executions(aws)) == 2 and executions(aws)[0], what="the push to start a release")
    assert pushed["trigger"]["triggerType"] == "CloudWatchEvent"
    expect(page.locator("#run li", has_text="The first release")).to_contain_text(
        f"execution {pushed['pipelineExecutionId'][:8]}, started by an image push"
    )
    advance_until(sandbox, aws, lambda i, t: i["deploymentId"] != info["deploymentId"] and installing(i, t))
    expect(page.locator("#run .message.warning")).to_have_text(
        "Release in progress: Deploy, installing the replacement."
    )


def test_a_failed_deployment_says_why_in_codedeploys_words_and_what_to_do(verify_page, aws, sandbox):
    sandbox.set_fault(kind="deployment_failure", lifecycle_event="AfterAllowTestTraffic")
    page = verify_page(sandbox)
    page.get_by_role("button", name="Run this step").click()
    assert follow_release_to_the_end(aws, sandbox, PIPELINE, step_seconds=10, limit=60) == "Failed"

    failed = next(d for d in all_deployments(aws) if d["status"] == "Failed")
    rollback = failed["rollbackInfo"]["rollbackDeploymentId"]
    error = page.locator("#run .message.error")
    expect(error).to_contain_text(
        f"DeploymentFailed: Deployment {failed['deploymentId']} failed at AfterAllowTestTraffic."
    )
    expect(error).to_contain_text(f"CodeDeploy rolled back to the original task set (deployment {rollback}).")
    code, message = failed["errorInformation"]["code"], failed["errorInformation"]["message"]
    expect(error).to_contain_text(f"CodeDeploy's error: {code}: {message}")
    expect(error).to_contain_text("The release console shows the lifecycle events. Retry follows the next release")
    expect(page.locator("#verify-next a")).to_have_text("See the release in the release console")
    snap(page, "deployment-failed")

    # Run again, starting the pipeline when there is no release: the failed one is not followed again.
    page.check("#id_verify_mode_1")
    page.get_by_role("button", name="Run this step again").click()
    started = wait_for(lambda: len(executions(aws)) == 2 and executions(aws)[0], what="a new execution")
    assert started["trigger"]["triggerType"] == "StartPipelineExecution"
    expect(page.locator("#run li", has_text="The first release")).to_contain_text(
        f"execution {started['pipelineExecutionId'][:8]}, started by the wizard"
    )


def all_deployments(aws):
    ids = aws.codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"]
    return aws.codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
