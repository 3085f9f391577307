"""Exports: exactly the rows of the filtered page, streamed in chunks, safe to open in a spreadsheet."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from dashboard import events
from dashboard.audit import AuditEvent
from dashboard.history import export
from dashboard.tests.history_fixtures import BASE, FILTER_IDS, FILTERS, event, seeded_fixture  # noqa: F401
from dashboard.tests.test_history import shown_ids


def download(client, fmt, query=""):
    response = client.get(reverse(f"history-export-{fmt}") + ("?" + query if query else ""))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode(), response


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def jsonl_rows(text):
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize(("query", "matches"), FILTERS, ids=FILTER_IDS)
def test_the_page_and_both_exports_hold_the_same_rows_for_the_same_query(client, viewer, seeded, query, matches):
    client.force_login(viewer)
    on_page = shown_ids(client, query)
    in_csv = [int(row["id"]) for row in csv_rows(download(client, "csv", query)[0])]
    in_jsonl = [row["id"] for row in jsonl_rows(download(client, "jsonl", query)[0])]
    assert in_csv == on_page
    assert in_jsonl == on_page
    assert on_page == [e.pk for e in AuditEvent.objects.order_by("-created_at", "-id") if matches(e)]


def test_page_and_cursor_parameters_do_not_narrow_the_export(client, viewer, seeded):
    client.force_login(viewer)
    whole = download(client, "csv", "scope=shop")[0]
    assert download(client, "csv", "scope=shop&page=2&after=99999")[0] == whole


def test_an_exported_row_carries_every_field(client, viewer, db):
    with_error = type("Error", (), {"code": "Throttling", "message": "Rate exceeded", "request_id": "req-9"})()
    made = event(
        events.REROUTE,
        BASE,
        outcome=AuditEvent.FAILED,
        scope="shop",
        user=viewer,
        reason="smoke tests green",
        target_type="deployment",
        target_id="d-ABC123",
        params={"deployment_id": "d-ABC123", "execution_id": "e-1"},
        error=with_error,
    )
    client.force_login(viewer)
    (row,) = jsonl_rows(download(client, "jsonl", "scope=shop")[0])
    assert row == {
        "id": made.pk,
        "created_at": "2026-03-02T09:00:00+00:00",
        "actor_name": viewer.username,
        "action": "release.reroute",
        "label": "Reroute traffic",
        "outcome": "failed",
        "scope": "shop",
        "target_type": "deployment",
        "target_id": "d-ABC123",
        "reason": "smoke tests green",
        "params": {"deployment_id": "d-ABC123", "execution_id": "e-1"},
        "aws_request_id": "req-9",
        "error_code": "Throttling",
        "error_message": "Rate exceeded",
        "ip_address": None,
        "user_agent": "",
        "follows_id": None,
    }
    (csv_row,) = csv_rows(download(client, "csv", "scope=shop")[0])
    assert list(csv_row) == list(export.COLUMNS)
    assert json.loads(csv_row["params"]) == row["params"]
    assert csv_row["created_at"] == row["created_at"] and csv_row["error_code"] == "Throttling"


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, viewer, db, dangerous):
    event(events.REROUTE, BASE, outcome=AuditEvent.REQUESTED, scope="shop", reason=dangerous, target_id=dangerous)
    client.force_login(viewer)
    (row,) = csv_rows(download(client, "csv", "scope=shop")[0])
    assert row["reason"] == "'" + dangerous
    assert row["target_id"] == "'" + dangerous
    (as_json,) = jsonl_rows(download(client, "jsonl", "scope=shop")[0])
    assert as_json["reason"] == dangerous  # JSON Lines are data, not a spreadsheet: kept as written


def test_the_export_is_a_download_named_for_its_format(client, viewer, db):
    client.force_login(viewer)
    _, response = download(client, "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-history-')
    assert response["Content-Disposition"].endswith('.csv"')
    _, response = download(client, "jsonl")
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"


def test_a_bad_filter_exports_nothing_and_says_why(client, viewer, seeded):
    client.force_login(viewer)
    response = client.get(reverse("history-export-csv") + "?since=last-tuesday")
    assert response.status_code == 400
    assert b"since" in response.content


class CountingQuerySet:
    """Stands in for the filtered queryset and records how it is read."""

    def __init__(self, queryset):
        self.queryset, self.chunk_sizes = queryset, []

    def values_list(self, *fields):
        outer = self

        class Values:
            def iterator(self, chunk_size):
                outer.chunk_sizes.append(chunk_size)
                return outer.queryset.values_list(*fields).iterator(chunk_size=chunk_size)

        return Values()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_the_export_reads_the_rows_with_an_iterator_and_writes_them_in_chunks(db, fmt):
    AuditEvent.objects.bulk_create(
        AuditEvent(action=events.LIFECYCLE_EVENT, outcome="observed", actor_name="system", scope="shop")
        for _ in range(1234)
    )
    counting = CountingQuerySet(AuditEvent.objects.order_by("-id"))
    chunks = export.export_chunks(counting, fmt, chunk_size=100, rows_per_write=250)
    if fmt == "csv":
        assert next(chunks) == ",".join(export.COLUMNS) + "\r\n"
    first = next(chunks)  # streaming: the first rows are out before the rest is read
    assert counting.chunk_sizes == [100]
    rest = list(chunks)
    assert [len(chunk.splitlines()) for chunk in [first, *rest]] == [250, 250, 250, 250, 234]


def test_the_view_streams_through_export_chunks(client, viewer, db, monkeypatch):
    seen = []
    real = export.export_chunks

    def spy(queryset, fmt, **kwargs):
        seen.append((queryset.query.order_by, fmt))
        return real(queryset, fmt, **kwargs)

    monkeypatch.setattr(export, "export_chunks", spy)
    client.force_login(viewer)
    download(client, "jsonl", "scope=shop")
    assert seen == [(("-created_at", "-id"), "jsonl")]
