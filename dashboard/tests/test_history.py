"""The history page: filters kept in the URL, pagination, live updates, and nothing that can change an event."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_user
from dashboard import events
from dashboard.audit import AppendOnlyError, AuditEvent
from dashboard.history.views import PAGE_SIZE
from dashboard.tests.history_fixtures import FILTER_IDS, FILTERS, event, newest_first, seeded_fixture  # noqa: F401


def shown_ids(client, query):
    """Every event id the history page shows for a query, following its "Older" links page by page."""
    ids, url = [], reverse("history") + ("?" + query if query else "")
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        ids += [int(n) for n in re.findall(r'data-event-id="(\d+)"', html)]
        older = re.search(r'<a href="(\?[^"]*)" rel="next">', html)
        url = reverse("history") + older.group(1).replace("&amp;", "&") if older else None
    return ids


@pytest.mark.parametrize(("query", "matches"), FILTERS, ids=FILTER_IDS)
def test_each_filter_shows_exactly_the_matching_events_newest_first(client, viewer, seeded, query, matches):
    client.force_login(viewer)  # which records a sign-in, now
    assert shown_ids(client, query) == [e.pk for e in newest_first() if matches(e)]


def test_the_page_is_paginated_newest_first_and_the_pager_keeps_the_filter(client, viewer, seeded):
    client.force_login(viewer)
    everything = newest_first()
    assert len(everything) > 2 * PAGE_SIZE
    first = client.get(reverse("history"))
    assert [e.pk for e in first.context["events"]] == [e.pk for e in everything[:PAGE_SIZE]]
    assert first.context["page"].paginator.num_pages == 3
    last = client.get(reverse("history") + "?page=3")
    assert [e.pk for e in last.context["events"]] == [e.pk for e in everything[2 * PAGE_SIZE :]]
    since = client.get(reverse("history") + "?since=2026-03-01&outcome=")
    assert '<a href="?since=2026-03-01T00%3A00&amp;page=2" rel="next">' in since.content.decode()


def test_download_links_keep_the_current_filter(client, viewer, seeded):
    client.force_login(viewer)
    html = client.get(reverse("history") + "?scope=shop&kind=group:operator&user=").content.decode()
    assert 'href="/history/export.csv?scope=shop&amp;kind=group%3Aoperator"' in html
    assert 'href="/history/export.jsonl?scope=shop&amp;kind=group%3Aoperator"' in html


def test_a_row_shows_who_when_what_target_outcome_error_reason_and_parameters(client, viewer, seeded):
    failed = next(e for e in seeded if e.outcome == "failed" and e.actor_name == "otto")
    client.force_login(viewer)
    html = client.get(reverse("history") + "?outcome=failed&user=otto").content.decode()
    row = re.search(rf'<tr id="event-{failed.pk}".*?</tr>', html, re.S).group(0)
    assert "otto" in row
    assert failed.created_at.strftime("%Y-%m-%d %H:%M:%S") in row
    assert "Stop and roll back" in row  # the label from events.LABELS
    assert f"<strong>{failed.scope}</strong>" in row
    assert '<span class="badge failed">Failed</span>' in row
    assert "DeploymentAlreadyCompleted" in row and "The deployment is done." in row
    assert failed.reason in row
    assert "<details" in row and "&quot;n&quot;: " in row  # parameters, expandable
    assert "req-1" in row  # the AWS request id
    timeline = reverse("release-timeline", args=[failed.scope, failed.params["execution_id"]])
    assert f'href="{timeline}"' in row


def test_the_kind_filter_offers_the_labels_grouped(client, viewer, db):
    client.force_login(viewer)
    html = client.get(reverse("history")).content.decode()
    assert '<optgroup label="Operator actions">' in html
    assert '<option value="release.reroute">Reroute traffic</option>' in html
    assert '<option value="group:operator">' in html


def test_a_bad_filter_says_so_and_shows_nothing(client, viewer, seeded):
    client.force_login(viewer)
    response = client.get(reverse("history") + "?since=yesterday&kind=no.such")
    assert response.status_code == 200
    assert response.context["events"] == []
    assert set(response.context["form"].errors) == {"since", "kind"}
    assert "hx-get" not in response.content.decode()  # and nothing to poll


def test_to_before_from_is_refused(client, viewer, db):
    client.force_login(viewer)
    response = client.get(reverse("history") + "?since=2026-03-03&until=2026-03-02")
    assert "until" in response.context["form"].errors


# Live updates


def live_url(query, after):
    return f"{reverse('history-live')}?{query}&after={after}"


def test_the_first_page_polls_for_newer_events_with_its_filter(client, viewer, seeded):
    client.force_login(viewer)
    html = client.get(reverse("history") + "?scope=shop").content.decode()
    poller = re.search(r'<div id="history-live"[^>]*>', html).group(0)
    assert 'hx-get="/history/live/?scope=shop"' in poller
    assert "data-poll" in poller and 'hx-trigger="every 5s, refresh"' in poller
    assert 'hx-target="#history-rows"' in poller and 'hx-swap="afterbegin"' in poller
    newest = AuditEvent.objects.latest("id").pk
    assert f'<input type="hidden" id="history-after" name="after" value="{newest}">' in html
    assert "history-live" not in client.get(reverse("history") + "?page=2").content.decode()


def test_the_live_fragment_answers_204_with_no_body_when_nothing_is_new(client, viewer, seeded):
    client.force_login(viewer)
    response = client.get(live_url("scope=shop", AuditEvent.objects.latest("id").pk), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.content == b""


def test_the_live_fragment_returns_only_newer_matching_events_newest_first(client, viewer, seeded):
    client.force_login(viewer)
    newest = AuditEvent.objects.latest("id").pk
    later = newest_first()[0].created_at + timedelta(minutes=1)
    shop_1 = event(events.REROUTE, later, outcome="requested", scope="shop", reason="canary looks fine")
    event(events.REROUTE, later, outcome="requested", scope="api")
    shop_2 = event(events.ROLLBACK, later + timedelta(seconds=5), outcome="requested", scope="shop")

    response = client.get(live_url("scope=shop", newest), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert [int(n) for n in re.findall(r'data-event-id="(\d+)"', html)] == [shop_2.pk, shop_1.pk]
    assert "canary looks fine" in html
    assert f'id="history-after" name="after" value="{shop_2.pk}" hx-swap-oob="true"' in html
    assert html.lstrip().startswith("<tr")  # rows first: they are parsed as table rows
    assert client.get(live_url("scope=shop", shop_2.pk)).status_code == 204


def test_the_live_fragment_refuses_a_bad_cursor(client, viewer, db):
    client.force_login(viewer)
    assert client.get(reverse("history-live") + "?after=abc").status_code == 400


# Read-only, by behaviour


HISTORY_URLS = ["history", "history-live", "history-export-csv", "history-export-jsonl", "insights"]


def urls_of(seeded):
    timeline = reverse("release-timeline", args=["shop", "exec-0"])
    return [reverse(name) for name in HISTORY_URLS] + [timeline]


def snapshot():
    return list(AuditEvent.objects.order_by("id").values())


def test_the_history_views_refuse_every_method_but_get(client, operator, seeded):
    client.force_login(operator)
    for url in urls_of(seeded):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(client, method)(url).status_code == 405, f"{method} {url}"


def test_looking_at_the_history_changes_no_event(client, admin_user, seeded):
    client.force_login(admin_user)
    before = snapshot()
    for url in urls_of(seeded):
        for query in ("", "?scope=shop&page=2", "?after=0", "?days=365"):
            response = client.get(url + query)
            assert response.status_code in (200, 204), url + query
            b"".join(response.streaming_content) if response.streaming else response.content
    assert snapshot() == before


def test_an_event_shown_in_the_history_cannot_be_edited_or_deleted(seeded):
    shown = next(e for e in seeded if e.reason)
    reason, shown.reason = shown.reason, "rewritten"
    with pytest.raises(AppendOnlyError):
        shown.save()
    with pytest.raises(AppendOnlyError):
        shown.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=shown.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=shown.pk).delete()
    assert AuditEvent.objects.get(pk=shown.pk).reason == reason


def test_a_signed_in_user_without_a_role_is_refused(client, seeded):
    client.force_login(make_user("nobody", None))
    for url in urls_of(seeded):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(client, seeded):
    for url in urls_of(seeded):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/?next="), url


def test_the_pages_need_no_inline_script_or_style(client, viewer, seeded):
    client.force_login(viewer)
    for url in (
        reverse("history"),
        reverse("insights") + "?days=365",
        reverse("release-timeline", args=["shop", "exec-0"]),
    ):
        response = client.get(url)
        html = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\sstyle=", html), url
        assert "hx-on" not in html and "javascript:" not in html, url


def test_the_page_costs_the_same_queries_however_many_rows_it_shows(client, viewer, seeded):
    client.force_login(viewer)
    for event_ in seeded[:40]:  # rows that name only a deployment, or only the request they follow
        event(events.REROUTE, event_.created_at, scope="shop", params={"deployment_id": "d-1"}, follows=event_)
        event(events.REROUTE, event_.created_at, scope="shop", follows=event_)
    counts = {}
    for query in ("", "?scope=api&outcome=failed"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("history") + query)
        counts[len(response.context["events"])] = len(queries)
    assert set(counts) == {50, 6}
    assert counts[50] <= counts[6] + 2  # the lookups of releases for rows naming a deployment or a request
