"""A pipeline's manual approval, as an operator answers it from the console in a real browser: approved, the deploy
stage runs; rejected, the execution fails at the approval; both in the audit history. A viewer sees no buttons."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dashboard import events
from dashboard.audit import AuditEvent
from releases.models import OperatorAction
from releases.tests.browser import confirm, open_console
from releases.tests.conftest import APPROVAL_LINK, APPROVAL_SUMMARY, approval_state, deployment_status, poll_until

pytestmark = pytest.mark.browser
A = OperatorAction
APPROVAL = "#approval-approval-review"


@pytest.fixture
def console(settings, awaiting_approval, worker, sign_in, operator, live_server):
    expect.set_options(timeout=10_000)
    yield open_console(sign_in(operator), live_server, awaiting_approval, settings)
    expect.set_options(timeout=5_000)


def test_an_approval_is_shown_where_it_waits_and_approving_it_runs_the_deploy_stage(
    console, awaiting_approval, sandbox, boto, tutorial
):
    page = console
    approval = page.locator(f"#pipeline {APPROVAL}")
    expect(approval).to_contain_text("Review waits for someone to approve or reject it since")
    expect(approval).to_contain_text(APPROVAL_SUMMARY)
    expect(approval.locator(f'a[href="{APPROVAL_LINK}"]')).to_be_visible()
    expect(approval.locator("time[data-countdown]")).to_contain_text("in 167 h")  # 7 days, less the seconds gone
    expect(page.locator("#needs-action")).to_contain_text("Waiting for approval (Approval/Review)")

    answer = confirm(page, A.APPROVE, "release notes read")
    assert answer.params["approval"] == "Review" and answer.params["stage"] == "Approval"
    run = approval_state(boto, tutorial)
    assert (run["status"], run["summary"]) == ("Succeeded", "release notes read")
    poll_until(sandbox, awaiting_approval, deployment_status("Ready"), what="the deploy stage to run")
    expect(page.locator(APPROVAL)).to_have_count(0)
    expect(page.locator("#needs-action")).to_contain_text("Waiting for reroute")  # the next one to act on
    expect(page.locator(f"#actions a[data-action={A.APPROVE}]")).to_have_count(0)


def test_rejecting_an_approval_fails_the_execution_and_the_history_says_who_why_and_what_came_of_it(
    console, awaiting_approval, sandbox, boto, tutorial, live_server
):
    page = console
    execution = awaiting_approval.latest_execution().execution_id
    confirm(page, A.REJECT, "the changelog is missing")
    assert approval_state(boto, tutorial)["status"] == "Failed"
    target = poll_until(
        sandbox, awaiting_approval, lambda t: t.latest_execution().status == "Failed", what="the execution to fail"
    )
    failed = target.latest_execution()
    assert failed.execution_id == execution and failed.stages["Approval"] == "Failed"
    assert "Deploy" not in failed.stages  # it never got there

    requested, succeeded = AuditEvent.objects.filter(action=events.REJECT).order_by("id")
    assert (requested.outcome, succeeded.outcome) == ("requested", "succeeded")
    assert requested.reason == "the changelog is missing" and succeeded.follows_id == requested.pk
    page.goto(live_server.url + reverse("history"))
    row = page.locator("tr", has_text="Reject").first
    expect(row).to_contain_text("the changelog is missing")
    expect(page.locator("body")).to_contain_text("Approval waiting")


def test_a_viewer_sees_the_approval_but_no_buttons(
    transactional_db, awaiting_approval, sign_in, viewer, live_server, settings
):
    page = open_console(sign_in(viewer), live_server, awaiting_approval, settings)
    expect(page.locator(APPROVAL)).to_contain_text(APPROVAL_SUMMARY)
    expect(page.locator("#actions [data-action]")).to_have_count(0)
