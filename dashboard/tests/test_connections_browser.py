"""The Connections page in Chromium: an admin adds an account's role (bad input is refused and kept), its check
shows the account and identity it acts as; a role that cannot be assumed shows AWS's refusal, and once its trust
policy is fixed, "Check again" signs in; an unused connection is removed, one in use is not; the wizard's first
step connects through a chosen connection."""

import pytest
from playwright.sync_api import expect

from dashboard import events
from dashboard.audit import AuditEvent
from dashboard.models import AwsConnection
from provisioning.models import Setup
from releases.models import ReleaseTarget

from .accounts import DASHBOARD_ACCOUNT, PRODUCTION, STAGING, account_client, trust_policy, trusted_role

pytestmark = pytest.mark.browser
JOB_TIMEOUT = 20_000  # ms: a check is a worker job, slower on a loaded machine


def fill_in_a_role(page, live_server, name, region, **fields):
    """Open the Connections page from the menu and fill in a role to assume (not yet added)."""
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Connections", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("AWS connections")
    page.fill("#id_name", name)
    page.fill("#id_region", region)
    page.get_by_label("A role to assume").check()
    for field, value in fields.items():
        page.fill(f"#id_{field}", value)


def test_an_admin_adds_a_role_in_another_account_and_sees_who_it_signs_in_as(
    sandbox, worker, sign_in, admin_user, live_server
):
    role_arn = trusted_role(sandbox, STAGING, external_id="staging-only")
    page = sign_in(admin_user)
    fill_in_a_role(page, live_server, "staging", "eu-west-1", external_id="staging-only")
    page.get_by_role("button", name="Add connection").click()
    expect(page.locator("#error-role_arn")).to_have_text("Give the ARN of the role to assume.")
    expect(page.locator("#id_name")).to_have_value("staging")  # what was typed is kept
    page.fill("#id_role_arn", "arn:aws:iam::2222:role/bluegreen-dashboard")
    page.get_by_role("button", name="Add connection").click()
    expect(page.locator("#error-role_arn")).to_contain_text("A role ARN looks like arn:aws:iam::123456789012:role/")
    assert not AwsConnection.objects.exists()

    page.fill("#id_role_arn", role_arn)
    page.get_by_role("button", name="Add connection").click()
    expect(page.locator(".messages")).to_contain_text("Connection staging added")
    card = page.locator("[data-connection=staging]")
    expect(card.locator("[data-account]")).to_have_text(STAGING, timeout=JOB_TIMEOUT)
    expect(card.locator("[data-arn]")).to_have_text(
        f"arn:aws:sts::{STAGING}:assumed-role/bluegreen-dashboard/bluegreen-dashboard"
    )
    expect(card.locator(".health .badge")).to_have_text("Working")
    assert AwsConnection.objects.get().account == STAGING
    assert sandbox.calls(by_account=True)[STAGING]["sts"]["GetCallerIdentity"] == 1
    added = AuditEvent.objects.get(action=events.CONNECTION_ADDED)
    assert (added.target_id, added.params["role_arn"], added.actor) == ("staging", role_arn, admin_user)

    page.get_by_role("link", name="Overview").click()
    expect(page.locator("[data-connection=staging]")).to_contain_text(f"account {STAGING}")


def test_a_role_that_cannot_be_assumed_shows_awss_refusal_until_its_trust_is_fixed(
    sandbox, worker, sign_in, admin_user, live_server
):
    role_arn = trusted_role(sandbox, PRODUCTION, trusted="999999999999")
    page = sign_in(admin_user)
    fill_in_a_role(page, live_server, "production", "us-east-1", role_arn=role_arn)
    page.get_by_role("button", name="Add connection").click()
    card = page.locator("[data-connection=production]")
    expect(card.locator("[data-error-code]")).to_have_text("AccessDenied", timeout=JOB_TIMEOUT)
    expect(card).to_contain_text(f"is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    expect(card.locator(".health")).to_contain_text("AccessDenied")

    iam = account_client(sandbox, PRODUCTION, "iam")
    iam.update_assume_role_policy(RoleName="bluegreen-dashboard", PolicyDocument=trust_policy(DASHBOARD_ACCOUNT))
    card.get_by_role("button", name="Check again").click()
    expect(card.locator("[data-account]")).to_have_text(PRODUCTION, timeout=JOB_TIMEOUT)
    expect(card.locator(".health .badge")).to_have_text("Working")


def test_a_connection_in_use_is_kept_and_an_unused_one_removed(sandbox, sign_in, admin_user, live_server):
    used = AwsConnection.objects.create(name="staging", region="us-east-1")
    ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1", aws_connection=used)
    AwsConnection.objects.create(name="old", region="us-east-1")
    page = sign_in(admin_user)
    page.goto(f"{live_server.url}/connections/")
    page.locator("[data-connection=staging]").get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("staging is still used by target shop")
    page.locator("[data-connection=old]").get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("Connection old removed")
    assert list(AwsConnection.objects.values_list("name", flat=True)) == ["staging"]
    assert AuditEvent.objects.filter(action=events.CONNECTION_REMOVED, target_id="old").exists()


def test_the_wizard_connects_through_a_chosen_connection_in_its_account_and_region(
    sandbox, worker, sign_in, admin_user, live_server
):
    staging = AwsConnection.objects.create(
        name="staging", region="eu-west-1", credentials=AwsConnection.ROLE, role_arn=trusted_role(sandbox, STAGING)
    )
    page = sign_in(admin_user)
    page.goto(f"{live_server.url}/setup/")
    page.fill("#id_name", "shop")
    page.select_option("#id_connection", "staging")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#run")).to_contain_text(
        f"account {STAGING} as arn:aws:sts::{STAGING}:assumed-role/bluegreen-dashboard/bluegreen-dashboard"
    )
    setup = Setup.objects.get(name="shop")
    assert (setup.aws_connection, setup.region) == (staging, "eu-west-1")  # the connection's region, not the field's
    assert sandbox.calls(by_account=True)[STAGING]["ecr"] == {"DescribeRepositories": 1}


def test_an_admin_changes_a_connections_external_id_and_its_check_signs_in_while_a_used_one_keeps_its_region(
    sandbox, worker, sign_in, admin_user, live_server
):
    role_arn = trusted_role(sandbox, STAGING, external_id="staging-2026")
    page = sign_in(admin_user)
    fill_in_a_role(page, live_server, "staging", "us-east-1", role_arn=role_arn, external_id="staging-2025")
    page.get_by_role("button", name="Add connection").click()
    card = page.locator("[data-connection=staging]")
    expect(card.locator("[data-error-code]")).to_have_text("AccessDenied", timeout=JOB_TIMEOUT)  # the old external id

    card.get_by_role("link", name="Change").click()
    expect(page.locator("h1")).to_have_text("Change staging")
    expect(page.locator("#id_role_arn")).to_have_value(role_arn)
    page.fill("#id_external_id", "staging-2026")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Connection staging changed (external_id)")
    expect(card.locator("[data-account]")).to_have_text(STAGING, timeout=JOB_TIMEOUT)
    expect(card.locator(".health .badge")).to_have_text("Working")
    changed = AuditEvent.objects.get(action=events.CONNECTION_CHANGED)
    assert changed.params["changed"] == {"external_id": ["staging-2025", "staging-2026"]}

    # In use, its region and account stay: refused beside the field, what was typed kept, nothing saved.
    ReleaseTarget.objects.create(
        name="shop", pipeline_name="shop", region="us-east-1", aws_connection=AwsConnection.objects.get()
    )
    card.get_by_role("link", name="Change").click()
    page.fill("#id_region", "eu-west-1")
    page.fill("#id_role_arn", f"arn:aws:iam::{PRODUCTION}:role/bluegreen-dashboard")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-region")).to_contain_text("target shop use it in us-east-1")
    expect(page.locator("#error-role_arn")).to_contain_text(f"use it in account {STAGING}")
    expect(page.locator("#id_region")).to_have_value("eu-west-1")
    assert AwsConnection.objects.get().region == "us-east-1"
