"""The audit history with the history page's filters (dashboard/history/filters.py), and its export."""

from typing import Literal

from django.http import QueryDict
from ninja import Query, Router, Schema
from pydantic import Field

from dashboard.history import export
from dashboard.history.filters import filter_events, label_of
from dashboard.roles import VIEWER

from .. import schemas
from ..auth import require
from ..errors import BadInput

router = Router(tags=["history"])
FIELDS = export.FIELDS  # the export's columns; each event also gets its label


class HistoryFilter(Schema):
    """The history page's filter, as its URL takes it."""

    scope: str = Field("", description="A target's (or setup's) name.")
    user: str = Field("", description="A user name, or `system`.")
    kind: str = Field("", description="An event name (release.reroute) or a group (group:operator).")
    outcome: str = ""
    since: str = Field("", description="From: 2026-01-31 or 2026-01-31T14:30, in the dashboard's time zone.")
    until: str = Field("", description="To (inclusive at the precision given).")


class HistoryPage(HistoryFilter):
    before: int | None = Field(None, ge=1, description="Only events older than this id (the next page).")
    after: int | None = Field(None, ge=0, description="Only events newer than this id (what is new since).")
    limit: int = Field(50, ge=1, le=500)


class ExportQuery(HistoryFilter):
    format: Literal["csv", "jsonl"] = "jsonl"


def filtered(query):
    data = QueryDict(mutable=True)
    data.update({name: value for name, value in query.dict().items() if name in HistoryFilter.model_fields})
    form, events = filter_events(data)
    if not form.is_valid():
        raise BadInput(form.errors)
    return events


@router.get("/history", response={200: schemas.EventPage, 400: schemas.FieldErrors}, url_name="history")
def history(request, query: Query[HistoryPage]):
    """Audit events, newest first, `limit` at a time."""
    require(request, VIEWER)
    events = filtered(query)
    if query.before:
        events = events.filter(pk__lt=query.before)
    if query.after is not None:
        events = events.filter(pk__gt=query.after)
    rows = list(events.values(*FIELDS)[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {
        "events": [{**row, "label": label_of(row["action"])} for row in rows],
        "next_before": rows[-1]["id"] if more else None,
    }


@router.get(
    "/history/export",
    response={200: None, 400: schemas.FieldErrors},
    url_name="history-export",
    openapi_extra={"responses": {200: {"description": "CSV or JSON Lines, streamed"}}},
)
def history_export(request, query: Query[ExportQuery]):
    """The filtered history as the page's download: CSV or JSON Lines, streamed."""
    require(request, VIEWER)
    return export.export_response(filtered(query), query.format)
