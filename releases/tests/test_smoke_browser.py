"""Smoke checks through the pages, in a real browser with a real worker: an admin fills in the settings form, a
release's run shows on the console attempt by attempt, a healthy replacement is rerouted by the checks themselves
(policy: reroute on pass, roll back on failure) and checked again in production, an unhealthy one is rolled back by
them with the failed check on the page and in the timeline."""

import pytest
from playwright.sync_api import expect

from releases.models import OperatorAction
from releases.tests.browser import open_console
from releases.tests.conftest import deployment_status, in_termination_wait, poll_until

pytestmark = pytest.mark.browser
A = OperatorAction


@pytest.fixture
def console(settings, tracked, worker, sign_in, admin_user, live_server):
    expect.set_options(timeout=15_000)
    yield open_console(sign_in(admin_user), live_server, tracked, settings)
    expect.set_options(timeout=5_000)


def fill_settings(page, test_url, production_url, *, count, interval):
    """The settings page, from the console's link: the URLs, the "auto" policy, and one check of the JSON answer."""
    page.click("#smoke-settings-link")
    expect(page.locator("h1")).to_have_text("Smoke checks")
    page.fill("#id_test_url", test_url)
    page.fill("#id_production_url", production_url)
    for policy in ("reroute_on_pass", "rollback_on_failure", "production_rollback_on_failure"):
        page.check(f"#id_{policy}")
    page.fill("#id_check-0-path", "/health")
    page.fill("#id_check-0-json_field", "color")
    page.fill("#id_check-0-json_value", "green")
    page.fill("#id_check-0-count", str(count))
    page.fill("#id_check-0-interval", str(interval))
    page.click("#smoke-settings button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Smoke check settings saved")
    expect(page.locator("#smoke-phases")).to_contain_text(test_url)
    expect(page.locator("#smoke-phases")).to_contain_text("Reroute automatically when they pass")


def test_a_healthy_release_passes_its_checks_and_reroutes_by_itself(console, tracked, tutorial, sandbox, app):
    page = console
    fill_settings(page, app.url, app.url, count=3, interval=2)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, lambda t: t.smoke_runs.exists(), timeout=60, what="the run to start")
    run = page.locator("#smoke-run-test")
    expect(run).to_have_attribute("data-status", "running")  # live, attempt by attempt
    expect(run.locator("li[data-ok=true]")).to_have_count(1)
    expect(run).to_have_attribute("data-status", "passed")
    expect(run.locator("li[data-ok=true]")).to_have_count(3)
    expect(run).to_contain_text(f"GET {app.url}/health (3/3) → 200")

    target = poll_until(sandbox, target, in_termination_wait, timeout=60, what="the reroute by the checks")
    expect(page.locator("#last-action")).to_contain_text("Reroute traffic by smoke checks")
    expect(page.locator("#last-action")).to_contain_text("Smoke checks passed on the test listener (3 attempts)")
    expect(page.locator('#timeline [data-step="smoke_test"]')).to_have_class("step done")
    expect(page.locator('#timeline [data-step="reroute"]')).to_contain_text("smoke checks: Reroute traffic")
    expect(page.locator("#smoke-run-production")).to_have_attribute("data-status", "passed")
    expect(page.locator('#timeline [data-step="smoke_production"]')).to_have_class("step done")
    assert target.actions.get(kind=A.REROUTE).actor_name == "smoke checks"


def test_an_unhealthy_release_is_rolled_back_by_itself_with_the_failed_check_shown(
    console, tracked, tutorial, sandbox, app
):
    page = console
    fill_settings(page, app.url, app.url, count=2, interval=1)
    app.status = 500
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    run = page.locator("#smoke-run-test")
    expect(run).to_have_attribute("data-status", "failed")
    expect(run.locator("li[data-ok=false]")).to_contain_text("expected status 200, got 500")
    expect(run.locator("[data-reason]")).to_contain_text(f"GET {app.url}/health: expected status 200, got 500")

    poll_until(sandbox, target, lambda t: t.latest_deployment().rollback_of, timeout=60, what="the rollback")
    expect(page.locator("#last-action")).to_contain_text("Stop and roll back by smoke checks")
    step = page.locator('#timeline [data-step="smoke_test"]')
    expect(step).to_have_class("step failed")
    expect(step).to_contain_text("expected status 200, got 500")
    expect(page.locator('#timeline [data-step="end"]')).to_contain_text("smoke checks: Stop and roll back")
    expect(page.locator("#actions [data-action=reroute]")).to_have_count(0)
