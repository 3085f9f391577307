"""Single sign-on through a real OpenID Connect provider (django-oauth-toolkit in its own process), in Chromium:
the provider's groups give the role at every sign-in, what is refused says why, and local accounts can be turned
off."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from conftest import PASSWORD
from dashboard import events
from dashboard.audit import AuditEvent
from releases.tests.conftest import wait_for

pytestmark = pytest.mark.browser

PROVIDER = Path(__file__).resolve().parent / "oidc_provider"
PROVIDER_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHONPATH"))}
CLIENT_ID, CLIENT_SECRET = "dashboard-tests", "a-client-secret-for-the-tests"  # noqa: S105


class Provider:
    def __init__(self, state_dir, redirect_uri):
        self.dir = str(state_dir)
        self.run("setup", redirect_uri, CLIENT_ID, CLIENT_SECRET)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{port}/o"
        self.process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "provider.py", self.dir, "serve", str(port)],
            cwd=PROVIDER,
            env=PROVIDER_ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=30, what="the identity provider to start")

    def run(self, *args):
        subprocess.run(  # noqa: S603 - our own module
            [sys.executable, "provider.py", self.dir, *args], cwd=PROVIDER, env=PROVIDER_ENV, check=True
        )

    def user(self, name, *groups):
        self.run("user", name, PASSWORD, *groups)

    def answers(self):
        try:
            return requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok
        except requests.ConnectionError:
            return False

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def provider(tmp_path, live_server, settings):
    from dashboard import sso

    idp = Provider(tmp_path / "provider", f"{live_server.url}/sign-in/sso/callback/")
    settings.OIDC_ISSUER = idp.issuer
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_ROLE_GROUPS = {"viewer": ["engineering"], "operator": ["release-managers"], "admin": ["platform"]}
    sso.discovery.cache_clear()
    yield idp
    sso.discovery.cache_clear()
    idp.stop()


def sign_in_with_sso(page, live_server, name):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.fill("#provider-username", name)
    page.fill("#provider-password", PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_contain_text("Blue/green dashboard")


def test_the_providers_groups_give_the_role_at_every_sign_in(provider, page, live_server):
    provider.user("sam", "release-managers", "engineering")
    sign_in_with_sso(page, live_server, "sam")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("header .role")).to_have_text("operator")
    sign_out(page)

    provider.user("sam", "engineering")  # the provider moves sam out of release-managers
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("link", name="Sign in with Test IdP").click()  # still signed in at the provider
    expect(page.locator("header .role")).to_have_text("viewer")

    sam = get_user_model().objects.get(username="sam")
    assert not sam.has_usable_password()
    audit = AuditEvent.objects.filter(target_id="sam").order_by("id")
    assert [e.action for e in audit if e.action != events.USER_CREATED] == [
        events.ROLES_CHANGED,  # operator, at the first sign-in
        events.SIGN_IN,
        events.SIGN_OUT,
        events.ROLES_CHANGED,  # the old role cleared …
        events.ROLES_CHANGED,  # … and viewer given
        events.SIGN_IN,
    ]
    assert audit.filter(action=events.SIGN_IN).last().params == {"method": "single sign-on"}
    role_change = audit.filter(action=events.ROLES_CHANGED).last()
    assert (role_change.actor_name, role_change.params["roles"]) == ("identity provider", ["viewer"])


def test_a_user_whose_groups_map_to_no_role_is_refused_with_the_reason(provider, page, live_server):
    provider.user("nobody", "marketing")
    sign_in_with_sso(page, live_server, "nobody")
    expect(page.locator(".messages")).to_contain_text("none of your groups at the identity provider gives a role")
    expect(page.locator("#sso-sign-in")).to_be_visible()
    assert not get_user_model().objects.filter(username="nobody").exists()


def test_the_provider_cannot_take_over_a_local_account_of_the_same_name(provider, page, live_server, admin_user):
    provider.user(admin_user.username, "platform")
    sign_in_with_sso(page, live_server, admin_user.username)
    expect(page.locator(".messages")).to_contain_text("is a local account here; sign in with its password")
    expect(page.locator("header .role")).to_have_count(0)


def test_local_sign_in_turned_off_leaves_only_single_sign_on(provider, page, live_server, settings, operator):
    settings.LOCAL_SIGN_IN = False
    settings.AUTHENTICATION_BACKENDS = [b for b in settings.AUTHENTICATION_BACKENDS if "ModelBackend" not in b]
    page.goto(f"{live_server.url}/sign-in/")
    expect(page.locator("#sso-sign-in")).to_be_visible()
    expect(page.locator("#id_password")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    answer = page.request.post(
        f"{live_server.url}/sign-in/",
        form={"username": operator.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{live_server.url}/sign-in/"},
    )
    assert "Sign-in with a password is turned off here" in answer.text()
    page.goto(f"{live_server.url}/")
    expect(page.locator("#sso-sign-in")).to_be_visible()  # still signed out


def test_a_provider_that_does_not_answer_is_named_and_password_sign_in_still_works(
    page, live_server, settings, operator
):
    from dashboard import sso

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket is closed
    settings.OIDC_ISSUER = f"http://127.0.0.1:{closed}/o"
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    sso.discovery.cache_clear()
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page.locator(".messages")).to_contain_text(f"The identity provider at {settings.OIDC_ISSUER} did not answer")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("header .role")).to_have_text("operator")
