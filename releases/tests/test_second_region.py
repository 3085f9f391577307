"""A setup in a region other than the dashboard's own (AWS_REGION us-east-1): the wizard makes and verifies it in
eu-west-1, the console tracks it there, refreshes it there and sends operator actions there; us-east-1 stays empty.
The sandbox keeps each region's resources apart, as AWS does."""

import pytest
from botocore.exceptions import ClientError
from django.urls import reverse
from playwright.sync_api import expect

from dashboard import aws
from provisioning.models import Setup, StepRun
from provisioning.tests.checks import provision_in_thread
from releases.models import OperatorAction, ReleaseTarget, TrackRequest
from releases.tests.browser import confirm, open_console
from releases.tests.conftest import deployment_status, in_termination_wait, poll_until
from releases.worker import polling
from releases.worker.track import TrackingError, track_pipeline
from sandbox.testing import SandboxClients

A = OperatorAction
WEST, EAST = "eu-west-1", "us-east-1"


@pytest.fixture
def west(sandbox):
    return SandboxClients(sandbox, region=WEST)


@pytest.fixture
def east(sandbox):
    return SandboxClients(sandbox, region=EAST)


@pytest.fixture
def provisioned(transactional_db, sandbox, settings, west):
    """The wizard's whole setup (with its Verify step) made by `provision` in eu-west-1, its first release done."""
    settings.PROVISIONING_POLL_SECONDS = 0.2
    assert settings.AWS_REGION == EAST
    provision_in_thread(sandbox, "west", "--region", WEST, "--sample-image")
    setup = Setup.objects.get(name="west")
    assert setup.region == WEST
    assert setup.runs.filter(status=StepRun.SUCCEEDED).count() == setup.runs.count() == 8
    return setup


def assert_nothing_in(east):
    """Nothing of the setup exists in us-east-1 (IAM roles are global, so they are not asked about)."""
    assert east.codepipeline.list_pipelines()["pipelines"] == []
    assert east.codedeploy.list_applications()["applications"] == []
    assert east.ecs.list_clusters()["clusterArns"] == []
    assert east.ecs.list_task_definitions()["taskDefinitionArns"] == []
    assert east.ecr.describe_repositories()["repositories"] == []
    assert east.elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert east.events.list_rules()["Rules"] == []
    for bucket in east.s3.list_buckets()["Buckets"]:  # one namespace for all regions; each bucket has its own
        assert east.s3.get_bucket_location(Bucket=bucket["Name"])["LocationConstraint"] == WEST


def test_the_sandbox_keeps_each_region_apart(sandbox, west, east):
    west.codedeploy.create_application(applicationName="only-west", computePlatform="ECS")
    assert west.codedeploy.list_applications()["applications"] == ["only-west"]
    assert east.codedeploy.list_applications()["applications"] == []
    with pytest.raises(ClientError) as raised:
        east.codedeploy.get_application(applicationName="only-west")
    assert raised.value.response["Error"]["Code"] == "ApplicationDoesNotExistException"


@pytest.mark.browser
def test_a_setup_in_another_region_is_verified_tracked_refreshed_and_operated_there(
    provisioned, west, east, sandbox, settings, worker, sign_in, operator, live_server
):
    target = ReleaseTarget.objects.get(pipeline_name="west-pipeline")  # the Verify step tracked it
    assert (target.region, target.connection()) == (WEST, provisioned.connection())
    assert target.passed_checks and not target.failed_checks
    pipeline_arn = west.codepipeline.get_pipeline(name="west-pipeline")["metadata"]["pipelineArn"]
    assert pipeline_arn.split(":")[3] == WEST
    assert_nothing_in(east)
    with pytest.raises(TrackingError, match=f"no pipeline named “west-pipeline” in this account in {EAST}"):
        track_pipeline("west-pipeline", connection=aws.Connection.from_settings())

    polling.refresh(target.pk)
    target.refresh_from_db()
    assert target.poll_error == "" and target.latest_execution().status == "Succeeded"

    expect.set_options(timeout=10_000)
    try:
        page = open_console(sign_in(operator), live_server, target, settings)
        before = {
            e["pipelineExecutionId"]
            for e in west.codepipeline.list_pipeline_executions(pipelineName="west-pipeline")[
                "pipelineExecutionSummaries"
            ]
        }
        release = confirm(page, A.RELEASE_CHANGE, "ship the fix to Europe")
        assert release.region == WEST
        started = release.result["execution_id"]
        assert started not in before
        execution = west.codepipeline.get_pipeline_execution(pipelineName="west-pipeline", pipelineExecutionId=started)
        assert execution["pipelineExecution"]["trigger"]["triggerType"] == "StartPipelineExecution"

        # A refresh reads the release from eu-west-1, and the page shows it.
        target = poll_until(sandbox, target, in_termination_wait, timeout=30, what="the termination wait")
        assert target.latest_execution().execution_id == started
        expect(page.locator("#live")).to_contain_text(started[:10])

        deployment = target.latest_deployment()
        terminate = confirm(page, A.TERMINATE_ORIGINAL, "the new version is healthy")
        assert terminate.region == WEST
        info = west.codedeploy.get_deployment(deploymentId=deployment.deployment_id)["deploymentInfo"]
        for _ in range(20):
            if info["status"] == "Succeeded":
                break
            sandbox.advance(5)
            info = west.codedeploy.get_deployment(deploymentId=deployment.deployment_id)["deploymentInfo"]
        assert info["status"] == "Succeeded"
        poll_until(sandbox, target, deployment_status("Succeeded"), what="the refresh to see it succeed")
        expect(page.locator("#deployment-status")).to_have_text("Succeeded")
    finally:
        expect.set_options(timeout=5_000)
    assert_nothing_in(east)


def test_the_track_form_refuses_a_bad_region_and_keeps_what_was_typed(client, admin_user):
    client.force_login(admin_user)
    page = client.post(reverse("release-track"), {"pipeline_name": "west-pipeline", "region": "Europe (Ireland)"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Not a region name, such as us-east-1." in html
    assert 'value="west-pipeline"' in html and 'value="Europe (Ireland)"' in html
    fragment = client.post(
        reverse("release-track"),
        {"pipeline_name": "west-pipeline", "region": "eu-west", "profile": "ops"},
        headers={"HX-Request": "true"},
    )
    assert fragment.headers["HX-Retarget"] == "#track-form" and fragment.headers["HX-Reswap"] == "outerHTML"
    assert "Not a region name" in fragment.content.decode() and 'value="ops"' in fragment.content.decode()
    assert not TrackRequest.objects.exists()


def test_the_track_form_offers_the_dashboards_region_and_keeps_the_one_chosen(client, admin_user, settings):
    settings.AWS_REGION = EAST
    client.force_login(admin_user)
    assert 'name="region" value="us-east-1"' in client.get(reverse("releases")).content.decode()
    client.post(reverse("release-track"), {"pipeline_name": "west-pipeline", "region": WEST, "profile": "ops"})
    job = TrackRequest.objects.get()
    assert (job.region, job.profile) == (WEST, "ops")


@pytest.mark.browser
def test_in_a_browser_a_bad_region_is_said_next_to_the_field_and_nothing_typed_is_lost(
    sign_in, admin_user, live_server
):
    page = sign_in(admin_user)
    page.goto(live_server.url + reverse("releases"))
    expect(page.locator("#id_region")).to_have_value(EAST)
    page.fill("#id_pipeline_name", "west-pipeline")
    page.fill("#id_region", "Ireland")
    page.fill("#id_profile", "ops")
    page.click("#track-form button[type=submit]")
    expect(page.locator("#error-region")).to_have_text("Not a region name, such as us-east-1.")
    expect(page.locator("#track-form")).to_have_count(1)
    expect(page.locator("#id_pipeline_name")).to_have_value("west-pipeline")
    expect(page.locator("#id_region")).to_have_value("Ireland")
    expect(page.locator("#id_profile")).to_have_value("ops")
    assert not TrackRequest.objects.exists()

    page.fill("#id_region", WEST)
    page.click("#track-form button[type=submit]")
    expect(page.locator(".track-job").first).to_contain_text(f"west-pipeline in {WEST}")
    expect(page.locator("#track-form .error")).to_have_count(0)
    expect(page.locator("#track-form")).to_have_count(1)
    assert TrackRequest.objects.get().region == WEST
