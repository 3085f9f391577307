"""Two AWS accounts, each reached by assuming a role, in two regions, tracked at once: the wizard sets up the same
pipeline name in both through their connections, the console tracks both, each refresh and action goes to its
own account with its own credentials (the sandbox's call log says which account each call came in as), and the
overview lists the targets by account and region."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dashboard import aws
from dashboard.models import AwsConnection
from dashboard.tests.accounts import DASHBOARD_ACCOUNT, PRODUCTION, STAGING, account_client, trusted_role
from provisioning.models import Setup, StepRun
from provisioning.tests.checks import provision_in_thread
from releases.models import EventSource, ReleaseTarget
from releases.worker import listener, polling

PIPELINE = "shop-pipeline"


@pytest.fixture
def connections(transactional_db, sandbox):
    aws.reset_clients()  # no session of an earlier test's sandbox state
    staging = AwsConnection.objects.create(
        name="staging", region="us-east-1", credentials=AwsConnection.ROLE, role_arn=trusted_role(sandbox, STAGING)
    )
    production = AwsConnection.objects.create(
        name="production",
        region="eu-west-1",
        credentials=AwsConnection.ROLE,
        role_arn=trusted_role(sandbox, PRODUCTION, external_id="prod-only"),
        external_id="prod-only",
    )
    return staging, production


@pytest.fixture
def provisioned(connections, sandbox, settings):
    """The wizard's setup in each account with the same pipeline name: in staging all of it (its Verify step runs
    the first release and tracks the pipeline), in production up to the pipeline, left to be tracked by hand."""
    settings.PROVISIONING_POLL_SECONDS = 0.2
    common = ("--pipeline", PIPELINE, "--sample-image")
    provision_in_thread(sandbox, "web-staging", "--connection", "staging", *common)
    provision_in_thread(sandbox, "web-prod", "--connection", "production", "--until", "pipeline", *common)
    assert Setup.objects.get(name="web-staging").runs.filter(status=StepRun.SUCCEEDED).count() == 8
    assert Setup.objects.get(name="web-prod").runs.filter(status=StepRun.SUCCEEDED).count() == 7
    return connections


def made_in(sandbox, account, region):
    """The pipelines an account has in a region, as its own administrator sees them."""
    pipelines = account_client(sandbox, account, "codepipeline", region).list_pipelines()["pipelines"]
    return [p["name"] for p in pipelines]


def track_through_the_page(page, live_server, connection, pipeline):
    page.goto(live_server.url + reverse("releases"))
    page.select_option("#id_connection", connection)
    page.fill("#id_pipeline_name", pipeline)
    page.click("#track-form button[type=submit]")
    expect(page.locator(".track-job").first).to_contain_text(f"Tracked {pipeline}", timeout=15_000)


@pytest.mark.browser
def test_two_accounts_in_two_regions_are_set_up_tracked_and_refreshed_each_with_its_own_credentials(
    provisioned, sandbox, worker, sign_in, admin_user, live_server
):
    staging, production = provisioned
    assert made_in(sandbox, STAGING, "us-east-1") == [PIPELINE]
    assert made_in(sandbox, PRODUCTION, "eu-west-1") == [PIPELINE]
    assert made_in(sandbox, DASHBOARD_ACCOUNT, "us-east-1") == made_in(sandbox, DASHBOARD_ACCOUNT, "eu-west-1") == []
    assert made_in(sandbox, PRODUCTION, "us-east-1") == made_in(sandbox, STAGING, "eu-west-1") == []

    page = sign_in(admin_user)
    track_through_the_page(page, live_server, "production", PIPELINE)
    in_staging = ReleaseTarget.objects.get(pipeline_name=PIPELINE, aws_connection=staging)  # its Verify step's
    in_production = ReleaseTarget.objects.get(pipeline_name=PIPELINE, aws_connection=production)
    assert (in_staging.name, in_staging.region) == (PIPELINE, "us-east-1")
    assert (in_production.name, in_production.region) == (f"{PIPELINE}@production", "eu-west-1")
    assert in_staging.passed_checks and not in_staging.failed_checks
    assert in_production.passed_checks and not in_production.failed_checks

    before = sandbox.calls(by_account=True)
    for target in (in_staging, in_production):
        assert polling.refresh(target.pk) is not None
        target.refresh_from_db()
        assert target.poll_error == "" and target.latest_execution() is not None
    after = sandbox.calls(by_account=True)

    def moved(account, service):
        return sum(after.get(account, {}).get(service, {}).values()) - sum(
            before.get(account, {}).get(service, {}).values()
        )

    for account in (STAGING, PRODUCTION):
        assert moved(account, "codepipeline") > 0 and moved(account, "codedeploy") > 0
    services = set(after[DASHBOARD_ACCOUNT]) - {"sts"}  # the dashboard's own account only assumes the roles
    assert [service for service in services if moved(DASHBOARD_ACCOUNT, service)] == []

    for connection in (staging, production):
        connection.refresh_from_db()
        assert connection.healthy

    # Each account's events arrive through its own queue, read with its own credentials.
    sandbox.advance(30)  # production's first release moves on
    for connection in (staging, production):
        source = EventSource.objects.get(aws_connection=connection)
        assert source.queue_url.split("/")[3] == connection.shown_account
        assert listener.receive(source, wait_seconds=0) > 0
        source.refresh_from_db()
        assert source.error_code == "" and source.received > 0

    page.goto(live_server.url + reverse("overview"))
    groups = page.locator("#release-targets tr.group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_have_text(f"Account {STAGING} · us-east-1 · connection staging")
    expect(groups.nth(1)).to_have_text(f"Account {PRODUCTION} · eu-west-1 · connection production")
    rows = page.locator("#release-targets tr[data-target]")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_have_attribute("data-target", f"{PIPELINE}@production")
