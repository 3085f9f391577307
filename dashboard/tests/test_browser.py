import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_signing_in_shows_the_overview(page, live_server, admin_user, sign_in):
    page.goto(f"{live_server.url}/releases/")
    expect(page).to_have_url(f"{live_server.url}/sign-in/?next=/releases/")
    sign_in(admin_user)
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator(".who")).to_contain_text("ada-admin · admin")
    for link in ("Overview", "Setup", "Releases", "History"):
        expect(page.get_by_role("link", name=link, exact=True)).to_be_visible()


def test_a_wrong_password_says_so_and_keeps_the_username(page, live_server, viewer):
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", viewer.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page.locator("#id_username")).to_have_value(viewer.username)


def test_pages_run_under_the_content_security_policy(page, live_server, operator, sign_in):
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    sign_in(operator)
    expect(page.locator("h1")).to_have_text("Overview")
    assert page.evaluate("typeof htmx") == "object"  # served from static/, not a CDN
    assert violations == []
