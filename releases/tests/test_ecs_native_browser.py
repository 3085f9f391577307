"""An ECS blue/green service (no CodeDeploy) as an operator meets it in the console, in a real browser with a real
worker against the sandbox: tracked through the track form, a release followed stage by stage with its traffic
split, a pause hook continued, and another release rolled back; AWS's state read back with boto3."""

import pytest
from playwright.sync_api import expect

from releases.models import OperatorAction, ReleaseTarget
from releases.tests.browser import confirm, open_console
from releases.tests.conftest import poll_until
from releases.tests.ecs_native import pause_waits, release_with_pause, stage_is, status_is
from sandbox.tests.helpers import http_get, local_urls

pytestmark = pytest.mark.browser
A = OperatorAction


def answer(url):
    status, _, body = http_get(url + "/")
    assert status == 200, body
    return body["image"], body["color"]


def test_an_ecs_service_is_tracked_released_continued_and_rolled_back_from_the_console(
    ecs_service, boto, sandbox, worker, sign_in, admin_user, live_server, settings
):
    expect.set_options(timeout=10_000)
    page = sign_in(admin_user)
    page.goto(live_server.url + "/releases/")
    page.fill("#id_cluster_name", "shop")
    page.fill("#id_service_name", "web")
    page.click("#track-form button[type=submit]")
    tracked = page.locator(".track-job", has_text="Tracked")
    expect(tracked).to_contain_text("all pre-flight checks passed")
    target = ReleaseTarget.objects.get(cluster_name="shop", service_name="web")
    assert target.engine == "ecs"
    poll_until(sandbox, target, status_is("SUCCESSFUL"), step=1)
    open_console(page, live_server, target, settings)
    expect(page.locator("#service-deployment-status")).to_have_text("SUCCESSFUL")
    expect(page.locator(f"#actions a[data-action={A.RELEASE_CHANGE}]")).to_have_count(0)  # no pipeline

    # A release (update_service) stops at its pause hook: stages, hook, revisions and the split on the page.
    first = release_with_pause(ecs_service, "nginx:2")
    poll_until(sandbox, target, stage_is("SCALE_UP"), step=1, timeout=30)
    expect(page.locator("#ecs-stages li[aria-current=step]")).to_contain_text("SCALE_UP")
    poll_until(sandbox, target, pause_waits, step=2, timeout=30)
    expect(page.locator("#ecs-stages li[aria-current=step]")).to_contain_text("POST_TEST_TRAFFIC_SHIFT")
    expect(page.locator("#ecs-hooks")).to_contain_text("AWAITING_ACTION")
    expect(page.locator("#traffic")).to_contain_text("blue (source) 100%")
    expect(page.locator("#traffic")).to_contain_text("test listener: green 100%")
    expect(page.locator("#ecs-revisions")).to_contain_text("nginx:2")
    expect(page.locator("#needs-action")).to_contain_text("waiting for Continue")

    action = confirm(page, A.CONTINUE_HOOK, "smoke tests on the test port passed")
    hook = ecs_service.deployment(first)["lifecycleHookDetails"][0]
    assert hook["status"] == "SUCCEEDED" and action.params["hook_id"] == hook["hookId"]
    poll_until(sandbox, target, stage_is("BAKE_TIME"), step=2, timeout=30)
    expect(page.locator("#traffic")).to_contain_text("green (target) 100%")
    expect(page.locator("#bake-time [data-countdown]")).to_be_visible()
    poll_until(sandbox, target, status_is("SUCCESSFUL"), step=10, timeout=40)
    expect(page.locator("#service-deployment-status")).to_have_text("SUCCESSFUL")
    assert ecs_service.deployment(first)["status"] == "SUCCESSFUL"

    # Another release, rolled back from the console while it waits: production goes back to the revision before.
    urls = local_urls(boto)
    serving = answer(urls[80])
    assert serving[0] == "nginx:2"
    second = release_with_pause(ecs_service, "nginx:3")
    poll_until(sandbox, target, pause_waits, step=2, timeout=30)
    expect(page.locator(f"#actions a[data-action={A.ROLLBACK}]")).to_be_visible()
    confirm(page, A.ROLLBACK, "the new image fails its checks")
    rolled = ecs_service.wait(second, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL", step=2, limit=120)
    assert rolled["rollback"]["serviceRevisionArn"] == ecs_service.deployment(first)["targetServiceRevision"]["arn"]
    production = ecs_service.rule("production")
    assert production[serving[1]] == 100  # the production rule all on the group that served before
    assert answer(urls[80]) == serving
    poll_until(sandbox, target, status_is("ROLLBACK_SUCCESSFUL"), step=1)
    expect(page.locator("#service-deployment-status")).to_have_text("ROLLBACK_SUCCESSFUL")
    expect(page.locator(f"#actions a[data-action={A.ROLLBACK}]")).to_have_count(0)
    expect.set_options(timeout=5_000)
