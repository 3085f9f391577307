"""In a real browser: what the dashboard tracks goes missing from AWS under it (a sandbox reset, a deleted pipeline);
the console, the overview and the setup say so, stop offering actions, and offer the way back."""

import pytest
from playwright.sync_api import expect

from conftest import SCREENSHOTS
from dashboard import events
from dashboard.audit import AuditEvent
from provisioning.tests.checks import provision_in_thread
from releases.models import ReleaseTarget
from releases.worker import polling

pytestmark = pytest.mark.browser
PIPELINE = "shop-pipeline"


@pytest.fixture
def shop(settings, sandbox, worker):
    """The wizard's setup `shop`, made by `manage.py provision`, its first release done and its pipeline tracked."""
    settings.PROVISIONING_POLL_SECONDS = 0.2
    settings.RELEASES_PAGE_POLL_SECONDS = settings.RELEASES_PAGE_IDLE_POLL_SECONDS = 0.5
    provision_in_thread(sandbox, "shop", "--verify-mode", "start", "--sample-image")
    target = ReleaseTarget.objects.get(pipeline_name=PIPELINE)
    polling.refresh(target.pk)
    target.refresh_from_db()
    assert target.gone_since is None and target.poll_error == ""
    return target


@pytest.fixture
def console(shop, sign_in, admin_user, live_server):
    expect.set_options(timeout=15_000)
    page = sign_in(admin_user)
    page.goto(live_server.url + shop.get_absolute_url())
    expect(page.locator("#actions a[data-action]").first).to_be_visible()
    yield page
    expect.set_options(timeout=5_000)


def test_a_sandbox_reset_under_a_running_dashboard_shows_gone_from_aws_with_the_way_back(
    console, shop, sandbox, live_server
):
    page = console
    sandbox.reset()
    polling.refresh(shop.pk)  # what beat does next

    card = page.locator("#gone-from-aws")  # the open console picks it up by itself
    expect(card).to_contain_text("Gone from AWS since")
    expect(card).to_contain_text(f"the pipeline {PIPELINE} no longer exists")
    expect(card).to_contain_text("PipelineNotFoundException")
    expect(page.locator("#actions a[data-action]")).to_have_count(0)
    expect(page.locator("#needs-action")).to_have_count(0)
    expect(card.locator("[data-way-back=rerun]")).to_have_attribute("href", "/setup/shop/steps/pipeline/")
    shop.refresh_from_db()
    assert shop.gone_code == "PipelineNotFoundException"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "gone-from-aws-console.png"), full_page=True)

    page.goto(live_server.url + "/")
    row = page.locator(f"#release-summary tr[data-target='{PIPELINE}']")
    expect(row.locator("[data-gone]")).to_have_text("Gone from AWS")
    expect(row).to_contain_text(f"the pipeline {PIPELINE} no longer exists")
    page.screenshot(path=str(SCREENSHOTS / "gone-from-aws-overview.png"), full_page=True)

    page.goto(live_server.url + "/setup/shop/inventory/")
    expect(page.locator("#gone-from-aws")).to_contain_text(f"the pipeline {PIPELINE} no longer exists")
    page.goto(live_server.url + "/setup/shop/steps/pipeline/")
    expect(page.locator("#gone-from-aws [data-way-back=rerun]")).to_be_visible()

    # The other way back: untrack it.
    page.goto(live_server.url + shop.get_absolute_url())
    page.locator("#gone-from-aws [data-way-back=untrack]").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(f"#release-summary tr[data-target='{PIPELINE}']")).to_have_count(0)
    assert not ReleaseTarget.objects.filter(pk=shop.pk).exists()
    untracked = AuditEvent.objects.get(action=events.TARGET_UNTRACKED)
    assert (untracked.scope, untracked.actor_name, untracked.params) == (
        PIPELINE,
        "ada-admin",
        {"gone_code": "PipelineNotFoundException"},
    )


def test_re_running_the_setup_step_from_the_console_brings_a_deleted_pipeline_back(console, shop, boto):
    page = console
    boto.codepipeline.delete_pipeline(name=PIPELINE)
    polling.refresh(shop.pk)
    expect(page.locator("#gone-from-aws")).to_contain_text(f"the pipeline {PIPELINE} no longer exists")

    page.locator("#gone-from-aws [data-way-back=rerun]").click()
    page.get_by_role("button", name="Run this step again").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded")
    assert boto.codepipeline.get_pipeline(name=PIPELINE)["pipeline"]["name"] == PIPELINE  # AWS has it again

    polling.refresh(shop.pk)
    shop.refresh_from_db()
    assert (shop.gone_since, shop.gone_code, shop.poll_error) == (None, "", "")
    page.reload()  # the step page
    expect(page.locator("#gone-from-aws")).to_have_count(0)
    page.goto(page.url.split("/setup/")[0] + shop.get_absolute_url())
    expect(page.locator("#gone-from-aws")).to_have_count(0)
    expect(page.locator("#actions a[data-action]").first).to_be_visible()
