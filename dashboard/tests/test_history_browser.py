"""In a real browser: a viewer filters the history, sees a new event arrive, opens a release timeline and
downloads the filtered rows as CSV."""

import csv
import re

import pytest
from playwright.sync_api import expect

from dashboard import events
from dashboard.audit import AuditEvent, record


def observed(action, scope, **params):
    return record(action, outcome=AuditEvent.OBSERVED, scope=scope, params=params)


@pytest.mark.browser
def test_a_viewer_filters_watches_opens_a_timeline_and_downloads_the_rows(
    page, sign_in, live_server, viewer, operator, monkeypatch, tmp_path
):
    monkeypatch.setattr("dashboard.history.views.POLL_SECONDS", 1)
    problems = []
    # Script errors and refusals by the Content Security Policy (a missing favicon is not one of them).
    page.on(
        "console",
        lambda message: (
            message.type == "error" and "Failed to load resource" not in message.text and problems.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    observed(events.EXECUTION_STARTED, "shop", execution_id="e-1", image_digest="sha256:cafe", image_tag="v7")
    observed(events.DEPLOYMENT_CREATED, "shop", execution_id="e-1", deployment_id="d-1")
    observed(events.DEPLOYMENT_READY, "shop", deployment_id="d-1")
    record(
        events.REROUTE,
        outcome=AuditEvent.REQUESTED,
        user=operator,
        scope="shop",
        reason="=1+1 looks good",
        params={"execution_id": "e-1", "deployment_id": "d-1"},
    )
    observed(events.TRAFFIC_REROUTED, "shop", deployment_id="d-1")
    observed(events.EXECUTION_STARTED, "api", execution_id="e-9")

    sign_in(viewer)
    expect(page.locator("header .who")).to_contain_text(viewer.username)
    page.goto(f"{live_server.url}/history/")
    page.fill("#id_scope", "shop")
    page.click("form.history-filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"/history/\?scope=shop&"))
    rows = page.locator("#history-rows tr.event")
    expect(rows).to_have_count(5)
    expect(page.locator("#history-rows")).not_to_contain_text("api")

    # A new event of the filtered target appears at the top by itself; one of another target does not.
    observed(events.EXECUTION_STARTED, "api", execution_id="e-10")
    newest = observed(events.ORIGINAL_TERMINATED, "shop", deployment_id="d-1")
    expect(rows.first).to_have_attribute("data-event-id", str(newest.pk))
    expect(rows).to_have_count(6)
    expect(page).to_have_url(re.compile(r"scope=shop"))

    page.locator("tr", has_text="Reroute traffic").get_by_role("link", name="Release timeline").click()
    expect(page.locator("h1")).to_have_text("Release of shop")
    expect(page.locator(".milestone.reached")).to_have_count(6)  # all but the lifecycle hooks
    expect(page.locator(".release-people")).to_contain_text("=1+1 looks good")
    expect(page.locator("table.release-events tbody tr")).to_have_count(6)

    page.go_back()
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    path = tmp_path / "history.csv"
    info.value.save_as(path)
    with path.open(newline="") as file:
        rows_in_file = list(csv.DictReader(file))
    assert [int(row["id"]) for row in rows_in_file] == list(
        AuditEvent.objects.filter(scope="shop").order_by("-created_at", "-id").values_list("id", flat=True)
    )
    assert {row["scope"] for row in rows_in_file} == {"shop"}
    assert "'=1+1 looks good" in [row["reason"] for row in rows_in_file]
    assert problems == []
