"""History, release timelines, exports and insights: GET-only views that read the audit log and never write it."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dashboard.audit import AuditEvent
from dashboard.roles import VIEWER, role_required
from dashboard.validators import bad_request

from . import insights as insights_module
from .export import export_response
from .filters import InsightsFilter, filter_events, label_of
from .timeline import link_releases
from .timeline import release_timeline as build_timeline

PAGE_SIZE = 50
LIVE_LIMIT = 200  # at most this many new rows per poll; more means the page should be reloaded
POLL_SECONDS = 5  # while the tab is visible; static/js/app.js slows polled elements down while it is hidden


def _labelled(events):
    """Each event with its label (events.LABELS) and the release it belongs to, for the rows of the page."""
    for event in events:
        event.label = label_of(event.action)
    return link_releases(events)


@require_GET
@role_required(VIEWER)
def history(request):
    newest_before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    form, events = filter_events(request.GET)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _labelled(list(page.object_list))
    after = max([newest_before, *(event.pk for event in rows)])
    return render(
        request,
        "dashboard/history.html",
        {
            "form": form,
            "page": page,
            "events": rows,
            "filter_query": form.query_string(),
            "after": after,
            "live": form.is_valid() and page.number == 1,
            "poll_seconds": POLL_SECONDS,
        },
    )


@require_GET
@role_required(VIEWER)
def history_live(request):
    """Events newer than `after` that match the filter, to prepend; 204 and no body when there are none."""
    if not request.GET.get("after"):
        return HttpResponse(status=204)  # no cursor: nothing shown, so nothing is newer than it
    try:
        after = int(request.GET["after"])
    except ValueError:
        return HttpResponseBadRequest("after must be an event id")
    form, events = filter_events(request.GET)
    if not form.is_valid():
        return bad_request(form, "invalid filter")
    rows = _labelled(list(events.filter(pk__gt=after)[: LIVE_LIMIT + 1]))
    if not rows:
        return HttpResponse(status=204)
    more = len(rows) > LIVE_LIMIT
    rows = rows[:LIVE_LIMIT]
    return render(
        request,
        "dashboard/history.html#live-rows",
        {"events": rows, "after": max(event.pk for event in rows), "more": more, "filter_query": form.query_string()},
    )


@require_GET
@role_required(VIEWER)
def history_export(request, fmt):
    form, events = filter_events(request.GET)
    if not form.is_valid():
        return bad_request(form, "invalid filter")
    return export_response(events, fmt)


@require_GET
@role_required(VIEWER)
def release_timeline(request, scope, execution_id):
    timeline = build_timeline(scope, execution_id)
    if timeline is None:
        raise Http404("No event names this release.")
    return render(request, "dashboard/history_timeline.html", {"timeline": timeline})


@require_GET
@role_required(VIEWER)
def insights_page(request):
    form = InsightsFilter(request.GET)
    if not form.is_valid():
        return bad_request(form, "invalid filter")
    report = insights_module.report(form.cleaned_data["days"], form.cleaned_data["scope"])
    return render(
        request,
        "dashboard/insights.html",
        {
            "report": report,
            "periods": insights_module.PERIODS,
            "charts": [insights_module.releases_chart(report.overall), insights_module.lead_time_chart(report.overall)],
        },
    )
