"""An admin walks the whole tutorial in the browser, in the sandbox, and the first release succeeds."""

import pytest
from playwright.sync_api import expect

from provisioning.tests.checks import assert_nothing_left, assert_set_up_as_the_tutorial_says, follow_release_to_the_end
from releases.models import ReleaseTarget

pytestmark = pytest.mark.browser


def run_step_and_wait(page):
    page.get_by_role("button", name="Run this step").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")


def test_an_admin_sets_up_the_tutorial_in_the_browser_releases_once_and_tears_down(
    page, live_server, admin_user, sign_in, aws, sandbox, worker
):
    sign_in(admin_user)
    page.goto(f"{live_server.url}/setup/")
    page.fill("#id_name", "shop")
    expect(page.locator("#id_region")).to_have_value("us-east-1")
    page.get_by_role("button", name="Connect").click()

    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#run")).to_contain_text("account ")
    page.get_by_role("link", name="Next: Image repository").click()

    expect(page.locator("#id_ecr_repository")).to_have_value("shop-images")
    page.get_by_role("button", name="Run this step").click()
    expect(page.locator("#push-commands + pre")).to_contain_text("aws ecr put-image --endpoint-url http")
    page.get_by_role("button", name="Push a sample image").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")

    page.get_by_role("link", name="Next: Task definition and AppSpec").click()
    expect(page.locator("#id_container_name")).to_have_value("sample-website")
    expect(page.locator("pre.file").first).to_contain_text('"image": "<IMAGE1_NAME>"')
    run_step_and_wait(page)
    for title in ["Load balancer", "Cluster and service", "CodeDeploy", "Pipeline"]:
        page.get_by_role("link", name=f"Next: {title}").click()
        run_step_and_wait(page)

    page.get_by_role("link", name="Next: Verify").click()
    expect(page.locator("#id_verify_mode_0")).to_be_checked()  # push a new image
    page.get_by_role("button", name="Run this step").click()
    # Verify follows the release that creating the pipeline started: nothing to push.
    release = page.locator("#run li.done", has_text="The first release")
    expect(release).to_contain_text("started by creating the pipeline")
    # The wizard only follows the release: move the sandbox's clock through the deployment's waits.
    follow_release_to_the_end(aws, sandbox, "shop-pipeline")
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#run")).to_contain_text("The first release succeeded")
    page.get_by_role("link", name="Follow the release in the release console").click()
    target = ReleaseTarget.objects.get(pipeline_name="shop-pipeline")
    expect(page).to_have_url(f"{live_server.url}{target.get_absolute_url()}")

    assert_set_up_as_the_tutorial_says(aws, "shop", source="codecommit")

    page.goto(f"{live_server.url}/setup/shop/teardown/")
    page.fill("#id_confirm", "shp")
    page.get_by_role("button", name="Tear down shop").click()
    expect(page.locator("#error-confirm")).to_contain_text("Type shop exactly")
    page.fill("#id_confirm", "shop")
    page.get_by_role("button", name="Tear down shop").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded", timeout=30000)
    assert_nothing_left(aws, "shop")
