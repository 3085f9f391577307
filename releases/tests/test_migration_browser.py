"""In a real browser, with a real worker, against the sandbox: the wizard's CodeDeploy setup moved to ECS's own
blue/green from its page (a dry run that changes nothing, then the run), released afterwards through its pipeline;
a move rolled back, released through CodeDeploy again; and a precondition that stops it. AWS read back with boto3."""

import time

import pytest
from playwright.sync_api import expect

from provisioning.tests.checks import follow_release_to_the_end, provision_in_thread
from releases.migration_models import MigrationRun
from releases.models import ReleaseTarget
from releases.worker import polling
from sandbox.testing import SandboxClients
from sandbox.tutorial import image_manifest

pytestmark = pytest.mark.browser
PIPELINE, CLUSTER, SERVICE = "shop-pipeline", "shop-cluster", "shop-service"
READS = ("Describe", "Get", "List", "BatchGet", "Head")


@pytest.fixture
def shop(settings, sandbox, worker):
    """The wizard's setup `shop`, made by `manage.py provision`, its first release done and its pipeline tracked."""
    settings.PROVISIONING_POLL_SECONDS = 0.2
    provision_in_thread(sandbox, "shop", "--verify-mode", "start", "--sample-image")
    target = ReleaseTarget.objects.get(pipeline_name=PIPELINE)
    polling.refresh(target.pk)
    target.refresh_from_db()
    return target


@pytest.fixture
def boto(sandbox):
    return SandboxClients(sandbox)


def open_move(page, live_server, target):
    page.goto(live_server.url + target.get_absolute_url())
    page.click("#migration-link")
    expect(page.locator("h1")).to_have_text("Move to ECS blue/green")
    return page


def finish(sandbox, phase, *, advance=10, limit=120):
    """Move the sandbox's clock while the worker runs the phase (it waits for ECS), until the run has ended."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        run = MigrationRun.objects.filter(phase=phase).first()
        if run is not None and run.is_finished:
            return run
        if run is not None and run.status == MigrationRun.WAITING:
            sandbox.advance(advance)
        time.sleep(0.1)  # the worker's turn: nothing to await but its row
    raise AssertionError(f"the {phase} did not finish: {run and run.actions}")


def mutating_calls(before, after):
    changed = []
    for service, operations in after.items():
        for operation, count in operations.items():
            if count > before.get(service, {}).get(operation, 0) and not operation.startswith(READS):
                changed.append(f"{service}.{operation}")
    return changed


def dry_run_then_run(page, sandbox, bake="0"):
    page.fill("#id_bake_minutes", bake)
    calls_before = sandbox.calls()
    page.click("#dry-run")
    dry = finish(sandbox, MigrationRun.DRY_RUN)
    assert dry.status == MigrationRun.SUCCEEDED, dry.error_message
    expect(page.locator("#plan tr[data-area=Service]").first).to_be_visible()
    assert mutating_calls(calls_before, sandbox.calls()) == []  # the dry run read, and changed nothing
    expect(page.locator("#preconditions [data-ok=no]")).to_have_count(0)
    expect(page.locator("#plan")).to_contain_text("ecs.CreateService")
    expect(page.locator("#plan")).to_contain_text(f"{SERVICE}-ecs")
    expect(page.locator("#plan")).to_contain_text("elbv2.CreateRule")
    expect(page.locator("#plan")).to_contain_text("imagedefinitions.json")
    expect(page.locator("#plan")).to_contain_text("Deleted by the last step")
    page.click("#run")
    run = finish(sandbox, MigrationRun.RUN)
    assert run.status == MigrationRun.SUCCEEDED, f"{run.error_code}: {run.error_message}"
    expect(page.locator("#standing")).to_have_attribute("data-standing", "moved")
    return run


def push(boto, label):
    boto.ecr.put_image(repositoryName="shop-images", imageManifest=image_manifest(label), imageTag="latest")


def test_a_wizard_setup_moves_to_ecs_blue_green_and_releases_through_it(
    shop, boto, sandbox, sign_in, admin_user, live_server
):
    expect.set_options(timeout=15_000)
    page = open_move(sign_in(admin_user), live_server, shop)
    dry_run_then_run(page, sandbox)

    # AWS: the new service deploys itself blue/green behind the old rules; the old one is scaled in, not deleted.
    new, old = boto.ecs.describe_services(cluster=CLUSTER, services=[f"{SERVICE}-ecs", SERVICE])["services"]
    assert new["deploymentController"] == {"type": "ECS"} and new["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert old["deploymentController"] == {"type": "CODE_DEPLOY"} and old["desiredCount"] == 0
    declared = boto.codepipeline.get_pipeline(name=PIPELINE)["pipeline"]
    deploy = declared["stages"][-1]["actions"][0]
    assert deploy["actionTypeId"]["provider"] == "ECS" and deploy["configuration"]["ServiceName"] == f"{SERVICE}-ecs"

    # The console follows it as an ECS target.
    target = ReleaseTarget.objects.get(pk=shop.pk)
    assert (target.engine, target.service_name) == ("ecs", f"{SERVICE}-ecs")
    page.goto(live_server.url + target.get_absolute_url())
    expect(page.locator("main")).to_contain_text("ECS blue/green without CodeDeploy")

    # A release afterwards: an image push runs the pipeline's ECS action, which ECS deploys blue/green.
    push(boto, "after-the-move")
    assert follow_release_to_the_end(boto, sandbox, PIPELINE, step_seconds=30, limit=40) == "Succeeded"
    listed = boto.ecs.list_service_deployments(cluster=CLUSTER, service=f"{SERVICE}-ecs")["serviceDeployments"]
    assert len(listed) == 2
    arns = [d["serviceDeploymentArn"] for d in listed]
    found = boto.ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]
    assert {d["status"] for d in found} == {"SUCCESSFUL"}
    polling.refresh(target.pk)
    page.reload()
    expect(page.locator("#service-deployment-status")).to_have_text("SUCCESSFUL")

    # The last step deletes the CodeDeploy resources; Roll back is gone with them.
    page.goto(live_server.url + f"/releases/{target.pk}/migrate/")
    page.fill("#confirm-delete", SERVICE)
    page.click("#delete")
    deleted = finish(sandbox, MigrationRun.DELETE)
    assert deleted.status == MigrationRun.SUCCEEDED, deleted.error_message
    expect(page.locator("#standing")).to_have_attribute("data-standing", "finished")
    expect(page.locator("#rollback")).to_have_count(0)
    assert boto.codedeploy.list_applications()["applications"] == []
    assert boto.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["status"] != "ACTIVE"
    expect.set_options(timeout=5_000)


def test_a_move_rolled_back_before_the_deletion_releases_through_codedeploy_again(
    shop, boto, sandbox, sign_in, admin_user, live_server
):
    expect.set_options(timeout=15_000)
    page = open_move(sign_in(admin_user), live_server, shop)
    dry_run_then_run(page, sandbox)
    page.click("#rollback")
    rolled = finish(sandbox, MigrationRun.ROLLBACK)
    assert rolled.status == MigrationRun.SUCCEEDED, f"{rolled.error_code}: {rolled.error_message}"
    expect(page.locator("#standing")).to_have_attribute("data-standing", "codedeploy")
    expect(page.locator("#dry-run")).to_be_visible()
    expect(page.locator("#run")).to_have_count(0)  # another run needs another dry run

    old = boto.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert old["desiredCount"] == 1 and old["taskSets"][0]["runningCount"] == 1
    gone = boto.ecs.describe_services(cluster=CLUSTER, services=[f"{SERVICE}-ecs"])["services"]
    assert all(s["status"] != "ACTIVE" for s in gone)
    deploy = boto.codepipeline.get_pipeline(name=PIPELINE)["pipeline"]["stages"][-1]["actions"][0]
    assert deploy["actionTypeId"]["provider"] == "CodeDeployToECS"
    target = ReleaseTarget.objects.get(pk=shop.pk)
    assert (target.engine, target.service_name) == ("codedeploy", SERVICE)

    push(boto, "after-the-roll-back")
    assert follow_release_to_the_end(boto, sandbox, PIPELINE) == "Succeeded"
    groups = boto.codedeploy.list_deployments(applicationName="shop-app", deploymentGroupName="shop-dg")
    newest = boto.codedeploy.get_deployment(deploymentId=groups["deployments"][-1])["deploymentInfo"]
    assert newest["status"] == "Succeeded"
    expect.set_options(timeout=5_000)


def test_a_missing_test_listener_stops_the_move_with_the_reason(shop, boto, sandbox, sign_in, operator, live_server):
    group = boto.codedeploy.get_deployment_group(applicationName="shop-app", deploymentGroupName="shop-dg")
    pairs = group["deploymentGroupInfo"]["loadBalancerInfo"]["targetGroupPairInfoList"]
    pairs[0].pop("testTrafficRoute")
    boto.codedeploy.update_deployment_group(
        applicationName="shop-app",
        currentDeploymentGroupName="shop-dg",
        loadBalancerInfo={"targetGroupPairInfoList": pairs},
    )
    page = open_move(sign_in(operator), live_server, shop)
    page.click("#dry-run")
    dry = finish(sandbox, MigrationRun.DRY_RUN)
    assert dry.status == MigrationRun.SUCCEEDED and not dry.passed
    failed = page.locator("#preconditions [data-precondition=listeners]")
    expect(failed).to_have_attribute("data-ok", "no")
    expect(failed).to_contain_text("The deployment group has no test listener")
    expect(failed).to_contain_text("Fix: Add a test listener")
    expect(page.locator("#run")).to_have_count(0)  # no Run until every precondition passes
