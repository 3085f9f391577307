"""Four eyes through the console in a real browser, against the sandbox with a real worker: an operator asks for a
release change, cannot approve it herself, a second operator approves it and AWS gets exactly one call; a viewer
sees the request but no buttons."""

import pytest
from playwright.sync_api import expect

from conftest import make_user
from dashboard.tests.workers import aws_calls
from releases.models import OperatorAction
from releases.tests.browser import open_console, signed_in
from releases.tests.conftest import poll_until, wait_for
from releases.tests.test_browser_actions import confirmed, executions
from releases.web import four_eyes

pytestmark = pytest.mark.browser
A = OperatorAction


def test_the_requester_cannot_approve_a_second_operator_does_and_aws_gets_one_call(
    settings, tracked, tutorial, worker, sign_in, admin_user, operator, live_server, second_page, boto, sandbox
):
    expect.set_options(timeout=10_000)
    four_eyes.choose(tracked, [A.RELEASE_CHANGE], user=admin_user)
    before_calls = aws_calls(sandbox, "codepipeline", "StartPipelineExecution")
    before = executions(boto, tutorial)
    page = open_console(sign_in(operator), live_server, tracked, settings)
    page.locator(f"#actions a[data-action={A.RELEASE_CHANGE}]").click()
    dialog = page.locator("#action-dialog")
    expect(dialog.locator("#four-eyes-notice")).to_be_visible()
    dialog.locator("textarea").fill("ship the fix")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".four-eyes-asked")).to_contain_text("Waiting for a second operator")
    dialog.locator("[data-close-dialog]").click()
    asked = page.locator("#four-eyes .four-eyes-request")
    expect(asked).to_have_attribute("data-status", "pending")
    expect(asked).to_contain_text("ship the fix")

    # Her own: refused with a message; nothing is sent.
    asked.locator("input[name=reason]").fill("looks right to me")
    asked.locator("button[data-answer=approve]").click()
    expect(page.locator(".messages")).to_contain_text("a different operator must answer it")
    assert not A.objects.exists()

    # A second operator approves: the action is sent once.
    olga = make_user("olga-operator", "operator")
    other = open_console(signed_in(second_page, live_server, olga), live_server, tracked, settings)
    mine = other.locator("#four-eyes .four-eyes-request")
    mine.locator("input[name=reason]").fill("diff reviewed")
    mine.locator("button[data-answer=approve]").click()
    expect(other.locator(".messages")).to_contain_text("approved and sent")
    expect(other.locator("#four-eyes .four-eyes-request")).to_have_attribute("data-status", "approved")
    done = wait_for(confirmed(A.RELEASE_CHANGE), what="the approved release change to be sent")
    assert done.requested_by == operator
    assert done.result["execution_id"] not in before
    assert aws_calls(sandbox, "codepipeline", "StartPipelineExecution") == before_calls + 1
    assert A.objects.count() == 1
    # The release's timeline names both operators.
    poll_until(sandbox, tracked, lambda t: t.latest_execution().execution_id == done.result["execution_id"], step=0)
    expect(other.locator("#timeline")).to_contain_text("approved by olga-operator")
    expect.set_options(timeout=5_000)


def test_a_viewer_sees_a_request_but_no_buttons(settings, tracked, sign_in, viewer, operator, admin_user, live_server):
    from releases.web.forms import ActionForm

    four_eyes.choose(tracked, [A.RELEASE_CHANGE], user=admin_user)
    form = ActionForm({"reason": "ship the fix"}, kind=A.RELEASE_CHANGE)
    assert form.is_valid()

    class Asking:
        user, META = operator, {}

    four_eyes.ask(tracked, A.RELEASE_CHANGE, form, Asking())
    page = open_console(sign_in(viewer), live_server, tracked, settings)
    expect(page.locator("#four-eyes .four-eyes-request")).to_contain_text("ship the fix")
    expect(page.locator("#four-eyes button, #four-eyes form, #four-eyes-setting")).to_have_count(0)
