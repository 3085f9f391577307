"""Smoke checks through the pages, in a real browser with a real worker, against the sandbox's load balancer
listeners served on local ports: an admin fills in the settings form with the listeners' local URLs, a release's run
shows on the console attempt by attempt, a healthy green image passes and is rerouted by the checks themselves
(policy: reroute on pass, roll back on failure) and checked again in production, which answers blue before and green
after; a green image made unhealthy is rolled back by them, with the failed check on the page and in the timeline."""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from releases.models import OperatorAction
from releases.tests.browser import open_console
from releases.tests.conftest import console_tutorial, deployment_status, in_termination_wait, poll_until

pytestmark = pytest.mark.browser
A = OperatorAction


@pytest.fixture
def tutorial(boto):
    """The tutorial's setup after two finished releases: production is back on the deployment group's first target
    group, which the sandbox's tasks answer as blue, so the release under test moves it from blue to green."""
    first = console_tutorial(boto).settle()
    first.push_image()
    return first.settle()


@pytest.fixture
def console(settings, tracked, worker, sign_in, admin_user, live_server):
    expect.set_options(timeout=15_000)
    yield open_console(sign_in(admin_user), live_server, tracked, settings)
    expect.set_options(timeout=5_000)


def listeners(sandbox, target):
    """(production, test): where the sandbox serves the target's two listeners (GET /_sandbox/load-balancers)."""
    (balancer,) = [lb for lb in sandbox.load_balancers() if lb["load_balancer_name"] == target.load_balancer_name]
    served = {listener["port"]: listener["local_url"] for listener in balancer["listeners"]}
    return served[target.prod_port], served[target.test_port]


def colour(url):
    """What a client of the listener sees: the colour of the task set that answers."""
    request = urllib.request.Request(url + "/", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - the sandbox's local port
        return json.loads(answer.read())["color"]


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


def test_a_healthy_release_passes_its_checks_and_reroutes_by_itself(console, tracked, tutorial, sandbox):
    page = console
    production, test = listeners(sandbox, tracked)
    assert colour(production) == "blue"
    fill_settings(page, test, production, count=3, interval=2)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, lambda t: t.smoke_runs.exists(), timeout=60, what="the run to start")
    run = page.locator("#smoke-run-test")
    expect(run).to_have_attribute("data-status", "running")  # live, attempt by attempt
    expect(run.locator("li[data-ok=true]")).to_have_count(1)
    assert (colour(test), colour(production)) == ("green", "blue")  # not rerouted while the checks run
    expect(run).to_have_attribute("data-status", "passed")
    expect(run.locator("li[data-ok=true]")).to_have_count(3)
    expect(run).to_contain_text(f"GET {test}/health (3/3) → 200")

    target = poll_until(sandbox, target, in_termination_wait, timeout=60, what="the reroute by the checks")
    assert colour(production) == "green"
    expect(page.locator("#last-action")).to_contain_text("Reroute traffic by smoke checks")
    expect(page.locator("#last-action")).to_contain_text("Smoke checks passed on the test listener (3 attempts)")
    expect(page.locator('#timeline [data-step="smoke_test"]')).to_have_class("step done")
    expect(page.locator('#timeline [data-step="reroute"]')).to_contain_text("smoke checks: Reroute traffic")
    expect(page.locator("#smoke-run-production")).to_have_attribute("data-status", "passed")
    expect(page.locator('#timeline [data-step="smoke_production"]')).to_have_class("step done")
    assert target.actions.get(kind=A.REROUTE).actor_name == "smoke checks"


def test_an_unhealthy_release_is_rolled_back_by_itself_with_the_failed_check_shown(console, tracked, tutorial, sandbox):
    page = console
    production, test = listeners(sandbox, tracked)
    fill_settings(page, test, production, count=2, interval=1)
    digest = tutorial.push_image()
    sandbox.set_fault(kind="unhealthy_image", image=digest, mode="status", status=500)
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    run = page.locator("#smoke-run-test")
    expect(run).to_have_attribute("data-status", "failed")
    expect(run.locator("li[data-ok=false]")).to_contain_text("expected status 200, got 500")
    expect(run.locator("[data-reason]")).to_contain_text(f"GET {test}/health: expected status 200, got 500")

    poll_until(sandbox, target, lambda t: t.latest_deployment().rollback_of, timeout=60, what="the rollback")
    expect(page.locator("#last-action")).to_contain_text("Stop and roll back by smoke checks")
    step = page.locator('#timeline [data-step="smoke_test"]')
    expect(step).to_have_class("step failed")
    expect(step).to_contain_text("expected status 200, got 500")
    expect(page.locator('#timeline [data-step="end"]')).to_contain_text("smoke checks: Stop and roll back")
    expect(page.locator("#actions [data-action=reroute]")).to_have_count(0)
    assert colour(production) == "blue"
