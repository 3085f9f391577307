"""Step 5 re-run in the browser with a manual reroute gate: the step shows what it changed, the form keeps the new
value, and the next release waits at Ready for someone to reroute; re-run back to automatic, and it reroutes alone."""

import pytest
from playwright.sync_api import expect

from provisioning.tests.checks import follow_release_to_the_end, provision_in_thread

pytestmark = pytest.mark.browser

APP, GROUP, PIPELINE = "shop-app", "shop-dg", "shop-pipeline"


def rerun_codedeploy(page, live_server, *, reroute, termination_wait):
    page.goto(f"{live_server.url}/setup/shop/steps/codedeploy/")
    page.get_by_label(reroute).check()
    page.fill("#id_termination_wait_minutes", str(termination_wait))
    page.get_by_role("button", name="Run this step again").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")


def ready_option(aws):
    group = aws.codedeploy.get_deployment_group(applicationName=APP, deploymentGroupName=GROUP)["deploymentGroupInfo"]
    return group["blueGreenDeploymentConfiguration"]


def start_release(aws):
    """The next release, as a push or "Release change" starts it; returns its deployment once CodeDeploy has it."""
    before = set(aws.codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"])
    aws.codepipeline.start_pipeline_execution(name=PIPELINE)
    return before


def new_deployment(aws, sandbox, before, *, limit=120):
    for _ in range(limit):
        found = set(aws.codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"])
        if found - before:
            (deployment_id,) = found - before
            return deployment_id
        sandbox.advance(1)
    raise AssertionError("the release made no deployment")


def status(aws, deployment_id):
    return aws.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]


def statuses_until(aws, sandbox, deployment_id, done, *, step=10, limit=400):
    """Move the sandbox's clock until the deployment's status is one of `done`; returns every status seen."""
    seen = []
    for _ in range(limit):
        seen.append(status(aws, deployment_id))
        if seen[-1] in done:
            return seen
        sandbox.advance(step)
    raise AssertionError(f"{deployment_id} never reached {done}; seen {sorted(set(seen))}")


def test_a_step_5_rerun_to_a_manual_gate_makes_the_next_release_wait_at_ready_and_back_again(
    page, live_server, admin_user, sign_in, aws, sandbox, worker
):
    provision_in_thread(sandbox, "shop", "--until", "pipeline", "--sample-image")
    assert follow_release_to_the_end(aws, sandbox, PIPELINE) == "Succeeded"  # the release creating the pipeline
    sign_in(admin_user)

    rerun_codedeploy(page, live_server, reroute="wait for someone to reroute", termination_wait=5)
    checklist = page.locator("#run .checklist")
    expect(checklist.locator("li.done", has_text="Deployment group shop-dg —")).to_contain_text(
        "already there (ours); brought in line with the form (2 changes)"
    )
    expect(checklist).to_contain_text(
        "Changed deployment group shop-dg: reroute from immediately to wait up to 60 minutes for someone to reroute"
    )
    expect(checklist).to_contain_text("Changed deployment group shop-dg: termination wait from 60 minutes to 5 minutes")
    expect(checklist.locator("li.done", has_text="CodeDeploy application shop-app")).to_contain_text(
        "already there (ours)"
    )
    page.reload()
    expect(page.get_by_label("wait for someone to reroute")).to_be_checked()
    expect(page.locator("#id_termination_wait_minutes")).to_have_value("5")
    blue_green = ready_option(aws)
    assert blue_green["deploymentReadyOption"] == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60}
    assert blue_green["terminateBlueInstancesOnDeploymentSuccess"]["terminationWaitTimeInMinutes"] == 5

    gated = new_deployment(aws, sandbox, start_release(aws))
    statuses_until(aws, sandbox, gated, ("Ready", "Succeeded", "Failed", "Stopped"))
    sandbox.advance(45 * 60)  # nobody reroutes for 45 minutes: it still waits
    assert status(aws, gated) == "Ready"
    aws.codedeploy.continue_deployment(deploymentId=gated, deploymentWaitType="READY_WAIT")
    assert statuses_until(aws, sandbox, gated, ("Succeeded", "Failed", "Stopped"))[-1] == "Succeeded"
    assert follow_release_to_the_end(aws, sandbox, PIPELINE) == "Succeeded"

    rerun_codedeploy(page, live_server, reroute="immediately", termination_wait=5)
    expect(checklist).to_contain_text(
        "Changed deployment group shop-dg: reroute from wait up to 60 minutes for someone to reroute to immediately"
    )
    expect(checklist.locator("li", has_text="Changed")).to_have_count(1)
    page.reload()
    expect(page.get_by_label("immediately")).to_be_checked()
    assert ready_option(aws)["deploymentReadyOption"]["actionOnTimeout"] == "CONTINUE_DEPLOYMENT"

    automatic = new_deployment(aws, sandbox, start_release(aws))
    seen = statuses_until(aws, sandbox, automatic, ("Succeeded", "Failed", "Stopped"))
    assert seen[-1] == "Succeeded"
    assert "Ready" not in seen  # rerouted on its own, nobody continued it


def test_what_cannot_change_in_place_is_said_on_the_page_and_the_service_can_be_re_created(
    page, live_server, admin_user, sign_in, aws, sandbox, worker
):
    provision_in_thread(sandbox, "shop", "--until", "codedeploy", "--sample-image")
    provision_in_thread(sandbox, "shop", "--until", "taskdef", "--container-port", "8080")  # a new port in step 2
    before = aws.ecs.describe_services(cluster="shop-cluster", services=["shop-service"])["services"][0]
    sign_in(admin_user)

    page.goto(f"{live_server.url}/setup/shop/steps/service/")
    page.get_by_role("button", name="Run this step again").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "failed")
    alert = page.locator("#run [role=alert]")
    expect(alert).to_contain_text("CannotChangeInPlace: AWS cannot change service shop-service in place")
    expect(alert).to_contain_text("container is sample-website:80, the form says sample-website:8080")
    expect(alert).to_contain_text("What can be done: re-create the service")
    expect(alert.get_by_role("button", name="Retry")).to_have_count(0)

    alert.get_by_role("button", name="Re-create the service").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#run .checklist li").first).to_contain_text(
        "Delete the service shop-service, to make it again with the form's values — deleted"
    )
    expect(page.locator("#run .checklist")).to_contain_text("Service shop-service (CODE_DEPLOY controller) — created")
    (after,) = [
        s
        for s in aws.ecs.describe_services(cluster="shop-cluster", services=["shop-service"])["services"]
        if s["status"] == "ACTIVE"
    ]
    assert after["serviceArn"] == before["serviceArn"]  # the same name, a new service
    calls = sandbox.calls()["ecs"]
    assert (calls["DeleteService"], calls["CreateService"]) == (1, 2)
    (balancer,) = after["loadBalancers"]
    assert balancer["containerPort"] == 8080
    assert balancer["targetGroupArn"] == before["loadBalancers"][0]["targetGroupArn"]
    assert after["deploymentController"] == {"type": "CODE_DEPLOY"}
