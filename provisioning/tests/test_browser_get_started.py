"""A new admin on an empty dashboard is sent to the setup wizard first, and its name field shows an example that
fits the naming rules."""

import re

import pytest
from playwright.sync_api import expect

from conftest import SCREENSHOTS
from provisioning import names
from provisioning.models import Setup

pytestmark = pytest.mark.browser


def test_an_empty_overview_sends_a_new_admin_to_the_wizard_whose_name_field_has_an_example(
    page, live_server, admin_user, sign_in, aws, sandbox, worker
):
    sign_in(admin_user)
    page.goto(f"{live_server.url}/")
    start = page.locator("#get-started")
    expect(start).to_contain_text("No pipeline is tracked here yet")
    links = start.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.first).to_have_text("Set up a release chain with the wizard")  # the wizard first …
    expect(links.nth(1)).to_have_text("Track it instead")  # … tracking a pipeline that exists second
    expect(links.nth(1)).to_have_attribute("href", "/releases/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "get-started-empty-overview.png"), full_page=True)

    links.first.click()
    expect(page).to_have_url(f"{live_server.url}/setup/")
    field = page.locator("#id_name")
    expect(field).to_have_attribute("placeholder", "e.g. shop")
    help_text = page.locator(".field-name .help")
    expect(help_text).to_contain_text("For example shop or team-web: 2 to 27 lowercase letters")
    examples = re.match(r"For example (\S+) or (\S+):", help_text.inner_text()).groups()
    for example in (*examples, field.get_attribute("placeholder").removeprefix("e.g. ")):
        names.validate_setup_name(example)  # each example fits AWS's rules as the wizard checks them

    page.fill("#id_name", examples[1])
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#run [data-status]")).to_have_attribute("data-status", "succeeded", timeout=20_000)
    assert Setup.objects.get().name == "team-web"
    expect(page.locator("#run")).to_contain_text(f"account {aws.sts.get_caller_identity()['Account']}")
