"""In a real browser against the sandbox: releases watched and operated from the console page."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from releases.clocks import on_dashboard_clock
from releases.models import OperatorAction
from releases.tests.conftest import deployment_status, in_termination_wait, poll_until

pytestmark = pytest.mark.browser


@pytest.fixture
def console(settings, tracked, worker, sign_in, operator, live_server):
    """The operator's browser on the tracked target's console page, polling fast."""
    settings.RELEASES_PAGE_POLL_SECONDS = settings.RELEASES_PAGE_IDLE_POLL_SECONDS = 0.5
    expect.set_options(timeout=10_000)
    page = sign_in(operator)
    page.goto(live_server.url + tracked.get_absolute_url())
    expect(page.locator("h1")).to_have_text(tracked.name)
    yield page
    expect.set_options(timeout=5_000)  # Playwright's default, for the tests of other apps


def confirm(page, kind, reason):
    """Press an action's button, give the reason in the dialog, confirm, and wait for AWS's answer."""
    page.click(f"#actions a[data-action={kind}]")
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("textarea").fill(reason)
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".action-status")).to_have_attribute("data-status", "confirmed")
    dialog.locator("[data-close-dialog]").click()
    expect(dialog).to_be_hidden()


def hhmm(moment, target):
    """An AWS deadline as the console shows it: on the dashboard's clock (see releases/clocks.py)."""
    return timezone.localtime(on_dashboard_clock(moment, target.aws_clock_offset)).strftime("%H:%M")


@pytest.mark.parametrize("history", [0, 60], indirect=True, ids=["first-release", "60-earlier-deployments"])
def test_a_new_image_is_released_rerouted_and_the_original_terminated(console, tracked, tutorial, sandbox, history):
    page = console
    assert tracked.deployments.count() == 1 + history and tracked.poll_error == ""
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
    deployment = target.latest_deployment()
    expect(page.locator("#deployment-status")).to_have_text("Ready")
    expect(page.locator("#needs-action")).to_contain_text(
        f"Traffic stays on the original and the deployment stops at {hhmm(deployment.ready_wait_ends_at, target)}"
    )
    expect(page.locator("#traffic progress")).to_have_attribute("value", "0")
    expect(page.locator('[data-step="test"]')).to_have_class(re.compile("done"))

    confirm(page, "reroute", "smoke test on :8080 passed")
    target = poll_until(sandbox, target, in_termination_wait, what="termination wait")
    deployment.refresh_from_db()
    expect(page.locator("#traffic progress")).to_have_attribute("value", "100")
    expect(page.locator("#deployment")).to_contain_text(
        f"the original task set is terminated at {hhmm(deployment.termination_wait_ends_at, target)}"
    )
    expect(page.locator('[data-step="reroute"]')).to_contain_text("otto-operator: Reroute traffic")

    confirm(page, "terminate_original", "new version healthy")
    poll_until(sandbox, target, deployment_status("Succeeded"), what="Succeeded")
    expect(page.locator("#deployment-status")).to_have_text("Succeeded")
    expect(page.locator('[data-step="end"]')).to_have_class(re.compile("done"))
    expect(page.locator('[data-step="end"]')).to_contain_text("new version healthy")
    expect(page.locator("#needs-action")).to_have_count(0)
    assert list(OperatorAction.objects.values_list("status", flat=True)) == ["confirmed", "confirmed"]


def test_a_release_is_rolled_back_in_the_termination_wait(console, tracked, tutorial, sandbox, boto):
    page = console
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
    boto.codedeploy.continue_deployment(
        deploymentId=target.latest_deployment().deployment_id, deploymentWaitType="READY_WAIT"
    )
    target = poll_until(sandbox, target, in_termination_wait, what="termination wait")
    expect(page.locator("#needs-action")).to_contain_text("In the termination wait")

    confirm(page, "rollback", "error rate up on the new version")
    target = poll_until(
        sandbox,
        target,
        lambda t: t.latest_deployment().rollback_of and t.latest_deployment().status == "Succeeded",
        step=1,
        what="the rollback deployment to finish",
    )
    expect(page.locator("#deployment-status")).to_have_text("Stopped")
    expect(page.locator("#rollback-note")).to_contain_text("Succeeded")
    expect(page.locator("#task-sets tbody tr").first).to_contain_text("original")
    expect(page.locator("#task-sets tbody tr").first).to_contain_text("100%")
    expect(page.locator("#traffic")).to_contain_text("traffic back on the original")
    expect(page.locator("#traffic progress")).to_have_attribute("value", "0")
    expect(page.locator('[data-step="end"]')).to_contain_text("Rolled back")
    expect(page.locator('[data-step="end"]')).to_contain_text("error rate up on the new version")


def test_a_deployment_failing_at_a_hook_rolls_back_by_itself_and_says_why(console, tracked, tutorial, sandbox):
    page = console
    sandbox.set_fault(kind="deployment_failure", lifecycle_event="AfterAllowTestTraffic")
    tutorial.push_image()
    poll_until(
        sandbox,
        tracked,
        lambda t: t.latest_deployment().rollback_of and t.latest_deployment().status == "Succeeded",
        step=5,
        what="the automatic rollback to finish",
    )
    expect(page.locator("#deployment-status")).to_have_text("Failed")
    expect(page.locator("#deployment-error")).to_contain_text("The AfterAllowTestTraffic lifecycle event failed")
    expect(page.locator("#rollback-note")).to_contain_text("Rolled back by deployment")
    expect(page.locator("#lifecycle")).to_contain_text("AfterAllowTestTraffic")
    expect(page.locator("#traffic")).to_contain_text("traffic back on the original")
