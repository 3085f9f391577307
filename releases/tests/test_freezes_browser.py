"""A freeze through the console in a real browser, against the sandbox with a real worker: an admin sets it, an
operator's release change is refused with its reason, an admin's override starts the execution (read back with
boto3), and the admin ends it early."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboard import events
from dashboard.audit import AuditEvent
from releases.models import OperatorAction
from releases.tests.browser import open_console, signed_in
from releases.tests.conftest import wait_for
from releases.tests.test_browser_actions import confirmed, executions

pytestmark = pytest.mark.browser
A = OperatorAction


def test_a_freeze_refuses_an_operators_release_and_an_admins_override_starts_the_execution(
    settings, tracked, tutorial, worker, sign_in, admin_user, operator, viewer, live_server, second_page, boto
):
    expect.set_options(timeout=10_000)
    admin = open_console(sign_in(admin_user), live_server, tracked, settings)
    admin.locator("#freeze summary").click()
    until = timezone.localtime() + timedelta(hours=2)
    admin.fill("#freeze-until", until.strftime("%Y-%m-%dT%H:%M"))
    admin.fill("#freeze-reason", "Black Friday traffic")
    admin.locator("#freeze button[type=submit]").click()
    expect(admin.locator("#freeze h2")).to_contain_text(f"Frozen until {until:%Y-%m-%d %H:%M}")

    # The operator sees the banner; the dialog says why it is refused and offers no way to send it.
    page = open_console(signed_in(second_page, live_server, operator), live_server, tracked, settings)
    expect(page.locator("#freeze")).to_contain_text("Black Friday traffic")
    expect(page.locator("#freeze button")).to_have_count(0)  # ending it is an admin's
    page.locator(f"#actions a[data-action={A.RELEASE_CHANGE}]").click()
    notice = page.locator("#action-dialog #freeze-notice")
    expect(notice).to_contain_text("“Black Friday traffic”")
    expect(notice).to_contain_text(f"Frozen until {until:%Y-%m-%d %H:%M}")
    expect(page.locator("#action-dialog form.confirm")).to_have_count(0)

    # The admin overrides it for one release change, with a reason: AWS starts an execution.
    before = executions(boto, tutorial)
    admin.locator(f"#actions a[data-action={A.RELEASE_CHANGE}]").click()
    dialog = admin.locator("#action-dialog")
    expect(dialog.locator("#freeze-notice")).to_contain_text("Black Friday traffic")
    dialog.locator("textarea").fill("the payment fix")
    dialog.get_by_label("Override the freeze (admins)").check()
    dialog.get_by_label("Why override the freeze").fill("payments are failing")
    dialog.locator("button[type=submit]").click()
    expect(dialog.locator(".action-status")).to_have_attribute("data-status", A.CONFIRMED)
    done = wait_for(confirmed(A.RELEASE_CHANGE), what="the release change to be sent")
    started = done.result["execution_id"]
    assert started not in before
    assert executions(boto, tutorial)[started]["trigger"]["triggerType"] == "StartPipelineExecution"
    overridden = AuditEvent.objects.get(action=events.FREEZE_OVERRIDDEN)
    assert overridden.reason == "payments are failing" and overridden.actor_name == "ada-admin"
    dialog.locator("[data-close-dialog]").click()

    # The admin ends it early: the banner goes for everyone, and the operator may release again.
    admin.locator("#freeze button[data-end-freeze]").click()
    expect(admin.locator("#freeze summary")).to_have_text("Freeze releases")
    expect(page.locator("#freeze")).to_have_count(0)
    frozen = AuditEvent.objects.filter(scope=tracked.name, action__startswith="release.freeze")
    assert sorted(frozen.values_list("action", flat=True)) == sorted(
        [events.FREEZE_SET, events.FREEZE_OVERRIDDEN, events.FREEZE_ENDED]
    )
    expect.set_options(timeout=5_000)


def test_a_viewer_sees_the_freeze_but_no_buttons(settings, tracked, sign_in, viewer, admin_user, live_server):
    from releases import freezes

    freezes.set_freeze(tracked, until=timezone.now() + timedelta(hours=1), reason="audit week", user=admin_user)
    page = open_console(sign_in(viewer), live_server, tracked, settings)
    expect(page.locator("#freeze")).to_contain_text("audit week")
    expect(page.locator("#freeze button, #freeze form")).to_have_count(0)
    expect(page.locator("#actions a[data-action]")).to_have_count(0)
