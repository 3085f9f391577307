"""Browser helpers for the release console: open it, and act through an action's dialog as an operator does."""

from playwright.sync_api import expect

from conftest import PASSWORD
from releases.models import OperatorAction

FOCUS_BACK = """kind => {
  const now = document.activeElement;
  return now && (now.matches(`#actions [data-action="${kind}"]`) || now.matches("#actions h2"));
}"""


def open_console(page, live_server, target, settings):
    """The console page of `target`, polling its fragment fast (the page reads the database only)."""
    settings.RELEASES_PAGE_POLL_SECONDS = settings.RELEASES_PAGE_IDLE_POLL_SECONDS = 0.5
    page.goto(live_server.url + target.get_absolute_url())
    expect(page.locator("h1")).to_have_text(target.name)
    return page


def confirm(page, kind, reason, *, abandon=False):
    """Press the action's button, give the reason in the dialog, submit, and wait for AWS's answer in the dialog.

    Checks on the way that focus stays in the dialog (on its result heading) after the submit, and goes back to
    the opening button (or the Actions heading, when that action is no longer offered) when the dialog closes.
    Returns the action row, confirmed.
    """
    button = page.locator(f"#actions a[data-action={kind}]")
    label = button.inner_text()
    button.click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#action-dialog-title")).to_have_text(label)
    expect(dialog.locator("textarea")).to_be_focused()
    if abandon:
        dialog.get_by_label("Stop and abandon", exact=False).check()
    dialog.locator("textarea").fill(reason)
    dialog.locator("button[type=submit]").click()
    status = dialog.locator(".action-status")
    expect(status).to_have_attribute("data-status", OperatorAction.CONFIRMED)
    expect(dialog.locator("#action-dialog-title")).to_be_focused()
    expect(status).to_contain_text(reason)
    dialog.locator("[data-close-dialog]").click()
    expect(dialog).to_be_hidden()
    page.wait_for_function(FOCUS_BACK, arg=kind)
    return OperatorAction.objects.filter(kind=kind).order_by("-created_at", "-id").first()


def signed_in(page, live_server, user):
    """`page` (of another browser context than the `page` fixture's: a second person) signed in as `user`."""
    page.goto(f"{live_server.url}/sign-in/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    return page
