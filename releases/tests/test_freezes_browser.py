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
from releases.tests.conftest import poll_until, wait_for
from releases.tests.test_browser_actions import confirmed, executions

pytestmark = pytest.mark.browser
A = OperatorAction


def test_a_freeze_refuses_an_operators_release_and_an_admins_override_starts_the_execution(
    settings, tracked, tutorial, worker, sign_in, admin_user, operator, viewer, live_server, second_page, boto, sandbox
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
    poll_until(sandbox, tracked, lambda t: t.latest_execution().execution_id == started, step=0)
    expect(admin.locator("#timeline")).to_contain_text("freeze overridden: “payments are failing”")

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


def test_a_freeze_with_an_end_in_the_past_is_refused_beside_the_field_and_keeps_what_was_typed(
    settings, tracked, sign_in, admin_user, live_server
):
    page = open_console(sign_in(admin_user), live_server, tracked, settings)
    page.locator("#freeze summary").click()
    past = timezone.localtime() - timedelta(hours=1)
    page.fill("#freeze-until", past.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#freeze-reason", "quarter close")
    day = (past.weekday() + 2) % 7  # not today, so the weekly freeze is listed rather than in force
    page.locator(f"#freeze input[name=weekdays][value='{day}']").check()
    page.fill("#freeze-from", "16:00")
    page.fill("#freeze-to", "23:00")
    page.locator("#freeze button[type=submit]").click()

    expect(page.locator("#freeze #error-until")).to_have_text("The end of a freeze is in the future.")
    expect(page.locator("#freeze")).to_have_attribute("open", "")
    expect(page.locator("#freeze-until")).to_have_value(past.strftime("%Y-%m-%dT%H:%M"))
    expect(page.locator("#freeze-reason")).to_have_value("quarter close")
    expect(page.locator(f"#freeze input[name=weekdays][value='{day}']")).to_be_checked()
    expect(page.locator(f"#freeze input[name=weekdays][value='{(day + 1) % 7}']")).not_to_be_checked()
    expect(page.locator("#freeze-from")).to_have_value("16:00")
    assert not tracked.freezes.exists()

    # Corrected in place, it freezes.
    page.fill("#freeze-until", (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#freeze button[type=submit]").click()
    expect(page.locator("[data-weekly-freeze]")).to_contain_text("quarter close")
    assert tracked.freezes.get().weekdays == [day]
