"""An admin chooses ECS's own blue/green in the browser wizard and walks it to the end: no CodeDeploy step, the
release reaches the release console as an ECS service deployment, and a pushed image is released the same way."""

import pytest
from playwright.sync_api import expect

from provisioning.tests.checks import (
    assert_released_with_ecs,
    assert_set_up_with_ecs_blue_green,
    follow_release_to_the_end,
)
from releases.models import ReleaseTarget
from releases.tests.browser import open_console
from releases.tests.conftest import poll_until
from releases.tests.ecs_native import status_is
from sandbox_console.sandbox_info import sample_image_manifest

pytestmark = pytest.mark.browser


def run_step_and_wait(page):
    page.get_by_role("button", name="Run this step").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")


def executions(aws):
    return aws.codepipeline.list_pipeline_executions(pipelineName="cafe-pipeline")["pipelineExecutionSummaries"]


def test_an_admin_sets_up_ecs_blue_green_in_the_browser_and_a_pushed_image_is_released_by_ecs(
    page, live_server, admin_user, sign_in, aws, sandbox, worker, settings
):
    expect.set_options(timeout=20_000)
    sign_in(admin_user)
    page.goto(f"{live_server.url}/setup/")
    page.fill("#id_name", "cafe")
    expect(page.get_by_label("CodeDeploy blue/green (the tutorial's way)")).to_be_checked()  # the default
    page.get_by_label("Amazon ECS blue/green (no CodeDeploy)").check()
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    steps = page.locator("nav.steps li a")
    expect(steps).to_have_text(
        [
            "Connect",
            "Image repository",
            "Task definition and image definitions",
            "Load balancer",
            "Cluster and service",
            "Pipeline",
            "Verify",
        ]
    )

    page.get_by_role("link", name="Next: Image repository").click()
    page.get_by_role("button", name="Run this step").click()
    page.get_by_role("button", name="Push a sample image").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")

    page.get_by_role("link", name="Next: Task definition and image definitions").click()
    expect(page.locator("pre.file")).to_have_count(1)
    expect(page.locator("pre.file")).to_contain_text('"name": "sample-website"')
    run_step_and_wait(page)
    expect(page.locator("#run")).to_contain_text("Commit imagedefinitions.json to master")
    page.get_by_role("link", name="Next: Load balancer").click()
    run_step_and_wait(page)

    page.get_by_role("link", name="Next: Cluster and service").click()
    expect(page.locator("#id_bake_time_minutes")).to_have_value("30")
    page.fill("#id_bake_time_minutes", "10")
    run_step_and_wait(page)
    checklist = page.locator("#run .checklist")
    expect(checklist).to_contain_text("ECS infrastructure role cafe-ecs-infrastructure")
    expect(checklist).to_contain_text("Production listener rule on port 80: all to cafe-tg-1 and cafe-tg-2")
    expect(checklist).to_contain_text("Service cafe-service (ECS controller, blue/green, bake time 10 minutes)")

    page.get_by_role("link", name="Next: Pipeline").click()  # no CodeDeploy step between
    run_step_and_wait(page)
    expect(page.locator("#run")).to_contain_text("Pipeline cafe-pipeline (Deploy: Amazon ECS blue/green")

    page.get_by_role("link", name="Next: Verify").click()
    page.get_by_role("button", name="Run this step").click()
    expect(page.locator("#run li.done", has_text="The first release")).to_contain_text(
        "started by creating the pipeline"
    )
    assert follow_release_to_the_end(aws, sandbox, "cafe-pipeline") == "Succeeded"
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#run")).to_contain_text("The ECS service deployment succeeded")
    rules, pair = assert_set_up_with_ecs_blue_green(aws, "cafe", bake_minutes=10)
    first = assert_released_with_ecs(aws, "cafe", rules, pair)

    # The release console follows the setup's pipeline as an ECS service deployment.
    page.get_by_role("link", name="Follow the release in the release console").click()
    target = ReleaseTarget.objects.get(pipeline_name="cafe-pipeline")
    assert target.engine == "ecs"
    poll_until(sandbox, target, status_is("SUCCESSFUL"), step=1)
    open_console(page, live_server, target, settings)
    expect(page.locator("#service-deployment-status")).to_have_text("SUCCESSFUL")

    # A new image: its push starts the pipeline, whose ECS action starts a service deployment to the other group.
    aws.ecr.put_image(
        repositoryName="cafe-images",
        imageTag="latest",
        imageManifest=sample_image_manifest("second"),
        imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
    )
    poll_until(sandbox, target, lambda t: len(executions(aws)) == 2, step=1, what="the push to start a release")
    assert executions(aws)[0]["trigger"]["triggerType"] == "CloudWatchEvent"
    assert follow_release_to_the_end(aws, sandbox, "cafe-pipeline") == "Succeeded"
    second = assert_released_with_ecs(aws, "cafe", rules, pair)
    assert second["serviceDeploymentArn"] != first["serviceDeploymentArn"]
    released_to = aws.ecs.describe_service_revisions(serviceRevisionArns=[second["targetServiceRevision"]["arn"]])
    assert (
        released_to["serviceRevisions"][0]["resolvedConfiguration"]["loadBalancers"][0]["targetGroupArn"]
        == (pair["cafe-tg-2"])
    )
    poll_until(
        sandbox,
        target,
        lambda t: t.latest_service_deployment().arn == second["serviceDeploymentArn"] and status_is("SUCCESSFUL")(t),
        step=1,
    )
    expect(page.locator("#service-deployment-status")).to_have_text("SUCCESSFUL")
    expect(page.locator("#ecs-history")).to_contain_text(first["serviceDeploymentArn"].rsplit("/", 1)[-1])
    expect(page.locator("#traffic")).to_contain_text("green (target) 100%")
    expect.set_options(timeout=5_000)
