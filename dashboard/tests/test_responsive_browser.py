"""Every page a user meets, in a real Chromium at a phone's width (390 px) and a laptop's (1366 px): the page never
scrolls sideways, the header fits (on a phone behind a menu button), tables fit or scroll inside their own box, and
no word breaks mid-word. Screenshots of each page and width land in var/screenshots/responsive-*.png."""

import json
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD, SCREENSHOTS
from dashboard import aws, tasks
from dashboard.models import ConnectionCheck
from notifications.models import Channel, Delivery
from provisioning.tests.checks import provision_in_thread
from releases.tests.conftest import boto, history, ready, tracked, tutorial  # noqa: F401 - fixtures
from sandbox.testing import SandboxClients
from sandbox_console.tasks import record_health

pytestmark = pytest.mark.browser

PHONE, LAPTOP = 390, 1366
WIDTHS = (PHONE, LAPTOP)

LAYOUT_PROBLEMS = (Path(__file__).parent / "layout_problems.js").read_text()  # a list of sentences

HEADER_HEIGHT_ON_A_PHONE = 72  # px: one row (brand, menu button), the navigation folded away


class Pages:
    """One browser context per width; `visit` opens a page, screenshots it and records what is wrong with it."""

    def __init__(self, browser, live_server):
        self.browser, self.base = browser, live_server.url
        self.problems = {}

    def report(self):
        return "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in self.problems.items())

    def context(self, width, **options):
        context = self.browser.new_context(viewport={"width": width, "height": 844}, **options)
        context.set_default_timeout(15000)
        return context

    def sign_in(self, context, user):
        page = context.new_page()
        page.goto(f"{self.base}/sign-in/")
        self.check(page, "sign-in")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Overview")
        return page

    def visit(self, page, name, path=None):
        if path is not None:
            response = page.goto(self.base + path)
            assert response.ok, f"{path} answered {response.status}"
        expect(page.locator("body > header .brand")).to_be_visible()
        self.check(page, name)

    def check(self, page, name, header=True):
        page.wait_for_load_state("load")
        width = page.viewport_size["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"responsive-{name}-{width}.png"), full_page=True)
        found = page.evaluate(LAYOUT_PROBLEMS)
        if header and page.locator("body > header").count():
            found += header_problems(page, width, name)
        if found:
            self.problems[f"{name} at {width} px"] = found


def header_problems(page, width, name):
    """On a phone the navigation folds behind a menu button that opens and closes it; on a laptop it is all shown."""
    menu = page.get_by_role("button", name="Menu")
    links = page.locator("header nav a")
    if width > 700:
        hidden = [link.inner_text() for link in links.all() if not link.is_visible()]
        return [f"navigation links hidden on a wide window: {hidden}"] if hidden or menu.is_visible() else []
    found = []
    height = page.locator("body > header").bounding_box()["height"]
    if height > HEADER_HEIGHT_ON_A_PHONE:
        found.append(f"the header is {height:.0f} px tall with the menu closed")
    if not menu.count() or menu.get_attribute("aria-expanded") != "false" or links.first.is_visible():
        return [*found, "the navigation is not folded behind a closed menu button"]
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=str(SCREENSHOTS / f"responsive-{name}-{width}-menu-open.png"))
    hidden = [link.inner_text() for link in links.all() if not link.is_visible()]
    if hidden:
        found.append(f"the open menu does not show {hidden}")
    found += [f"with the menu open, {problem}" for problem in page.evaluate(LAYOUT_PROBLEMS)]
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    return found


def limited_permissions_check(sandbox):
    """A connection check run as an IAM user that may only read pipelines: the overview lists what is denied."""
    iam = SandboxClients(sandbox).iam
    iam.create_user(UserName="read-only-releases")
    allow = [
        {"Effect": "Allow", "Action": ["codepipeline:Get*", "codepipeline:List*", "sts:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": "*"},
    ]
    document = json.dumps({"Version": "2012-10-17", "Statement": allow})
    iam.put_user_policy(UserName="read-only-releases", PolicyName="inline", PolicyDocument=document)
    key = iam.create_access_key(UserName="read-only-releases")["AccessKey"]
    check = ConnectionCheck.objects.create(region="us-east-1", endpoint_url=sandbox.endpoint_url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        env.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        aws.reset_clients()
        tasks.check_connection(check.pk)
    aws.reset_clients()
    check.refresh_from_db()
    assert check.denied_count > 0, check.error_message


def test_release_pages_fit_a_phone_and_a_laptop(
    transactional_db,
    browser,
    live_server,
    ready,  # noqa: F811 - the fixture imported above
    sandbox,
    admin_user,
    settings,
):
    settings.RELEASES_PAGE_POLL_SECONDS = settings.RELEASES_PAGE_IDLE_POLL_SECONDS = 60  # the page holds still
    record_health()  # the sandbox page is there once a worker has seen the sandbox
    pages = Pages(browser, live_server)
    for width in WIDTHS:
        context = pages.context(width)
        page = pages.sign_in(context, admin_user)
        pages.visit(page, "overview")
        pages.visit(page, "releases", "/releases/")
        pages.visit(page, "console-ready", ready.get_absolute_url())
        page.click("#actions a[data-action=reroute]")
        expect(page.locator("#action-dialog textarea")).to_be_visible()
        pages.check(page, "console-reroute-dialog", header=False)  # the modal dialog holds the header still
        page.keyboard.press("Escape")
        expect(page.locator("#action-dialog")).to_be_hidden()
        pages.visit(page, "history", "/history/")
        page.get_by_role("link", name="Release timeline").first.click()
        expect(page.locator("h1")).to_contain_text("Release of")
        pages.visit(page, "history-timeline")
        pages.visit(page, "insights", "/insights/")
        pages.visit(page, "password-change", "/account/password/")
        pages.visit(page, "sandbox", "/sandbox/")
        context.close()
    limited_permissions_check(sandbox)
    for width in WIDTHS:
        context = pages.context(width)
        page = pages.sign_in(context, admin_user)
        for denied in page.locator(".permissions details.denied summary").all():
            denied.click()  # open: the denied actions and the policy statements that allow them
        expect(page.locator(".permissions details.denied pre").first).to_be_visible()
        pages.visit(page, "permissions")
        context.close()
    assert not pages.problems, pages.report()


def test_setup_pages_fit_a_phone_and_a_laptop(transactional_db, browser, live_server, sandbox, admin_user, settings):
    settings.PROVISIONING_POLL_SECONDS = 0.2
    provision_in_thread(sandbox, "shop", "--sample-image")
    channel = Channel.objects.create(name="release-room", kind=Channel.SLACK, url_variable="NOTIFY_RELEASE_ROOM_URL")
    link = f"http://127.0.0.1:8000/releases/{'very-long-pipeline-name' * 3}/"
    Delivery.objects.create(
        channel=channel,
        key="k",
        kind="test",
        title="shop: a test " * 8,
        link=link,
        next_attempt_at=timezone.now(),
        status=Delivery.FAILED,
        last_error="no answer within 5 s",
    )
    pages = Pages(browser, live_server)
    for width in WIDTHS:
        context = pages.context(width)
        page = pages.sign_in(context, admin_user)
        pages.visit(page, "wizard-index", "/setup/")
        pages.visit(page, "wizard-step", "/setup/shop/steps/codedeploy/")
        pages.visit(page, "wizard-verify", "/setup/shop/steps/verify/")
        pages.visit(page, "inventory", "/setup/shop/inventory/")
        pages.visit(page, "teardown", "/setup/shop/teardown/")
        pages.visit(page, "notifications", "/notifications/")
        context.close()
    # Without JavaScript the menu button cannot work: the navigation shows, wrapped, and still fits.
    context = pages.context(PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{pages.base}/sign-in/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("link", name="Releases", exact=True)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / f"responsive-overview-no-js-{PHONE}.png"), full_page=True)
    if found := page.evaluate(LAYOUT_PROBLEMS):
        pages.problems["overview without JavaScript"] = found
    context.close()
    assert not pages.problems, pages.report()
