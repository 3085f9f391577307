"""The API tokens page in a real browser: a token is made and shown once, works, and stops working when revoked;
the API's browsable page runs under the site's content security policy."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def api_status(live_server, secret, path="/api/targets"):
    request = urllib.request.Request(live_server.url + path, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the test's own server)
            return response.status, json.load(response)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_a_token_is_shown_once_works_and_stops_working_when_revoked(page, live_server, operator, sign_in):
    sign_in(operator)
    page.get_by_role("link", name="API tokens").click()
    expect(page.locator("h1")).to_have_text("API tokens")
    page.get_by_label("Name").fill("CI deploy")
    page.get_by_label("Operate").check()
    page.get_by_role("button", name="Make token").click()

    secret = page.locator("#token-secret").inner_text()
    assert secret.startswith("bgd_")
    row = page.locator('#tokens tr[data-token="CI deploy"]')
    expect(row).to_contain_text("Operate")
    expect(row).to_contain_text("never")
    assert api_status(live_server, secret)[0] == 200

    page.reload()  # a GET of the page: the secret is nowhere on it any more
    expect(page.locator("#token-secret")).to_have_count(0)
    assert secret not in page.content()
    expect(row).not_to_contain_text("never")  # its last use is shown

    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("“CI deploy” is revoked")
    expect(row).to_contain_text("Revoked")
    status, answer = api_status(live_server, secret)
    assert status == 401 and "revoked" in answer["detail"]


def test_the_browsable_api_page_lists_the_endpoints_under_the_csp(page, live_server, viewer, sign_in):
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    sign_in(viewer)
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.locator("#swagger-ui")).to_contain_text("/api/targets/{pk}/actions/{kind}")
    assert violations == []
