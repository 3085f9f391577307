"""The release console's pages and htmx fragments. They read the database only; AWS is the workers' business."""

import hashlib

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from dashboard.jobs import job_fragment
from dashboard.roles import ADMIN, OPERATOR, VIEWER, has_role, role_required

from . import actions, display, services
from .forms import ActionForm, TrackForm
from .models import OperatorAction, ReleaseTarget, TrackRequest


def _unchanged(request, etag):
    """204 (nothing to swap) when the fragment the browser holds is still current."""
    return request.GET.get("v") == str(etag)


def summary_etag():
    versions = ReleaseTarget.objects.order_by("pk").values_list("pk", "version")
    return hashlib.sha1(repr(list(versions)).encode(), usedforsecurity=False).hexdigest()[:12]


def summaries():
    return [display.summary(t) for t in ReleaseTarget.objects.all()]


@require_GET
@role_required(VIEWER)
def index(request):
    return render(
        request,
        "releases/index.html",
        {
            "summaries": summaries(),
            "etag": summary_etag(),
            "form": TrackForm(),
            "jobs": TrackRequest.objects.select_related("target")[:5],
        },
    )


@require_GET
@role_required(VIEWER)
def summary(request):
    etag = summary_etag()
    if _unchanged(request, etag):
        return HttpResponse(status=204)
    return render(request, "releases/summary.html#targets", {"summaries": summaries(), "etag": etag})


@require_POST
@role_required(ADMIN)
def track(request):
    form = TrackForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return render(request, "releases/index.html#track-form", {"form": form})
        messages.error(request, "; ".join(form.errors["pipeline_name"]))
        return redirect("releases")
    job = services.request_tracking(request, form.cleaned_data["pipeline_name"])
    if request.htmx:
        return render(request, "releases/index.html#track-job", {"job": job})
    return redirect("releases")


@require_GET
@role_required(VIEWER)
def track_status(request, pk):
    job = get_object_or_404(TrackRequest.objects.select_related("target"), pk=pk)
    return job_fragment(request, "releases/index.html#track-job", {"job": job}, job)


def _console(request, target):
    can_operate = has_role(request.user, OPERATOR)
    return display.console(target, request.GET.get("release") or None, user_can_operate=can_operate)


@require_GET
@role_required(VIEWER)
def target(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    return render(request, "releases/target.html", _console(request, target))


@require_GET
@role_required(VIEWER)
def target_live(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    if _unchanged(request, target.version):
        return HttpResponse(status=204)
    return render(request, "releases/target.html#live", _console(request, target))


@require_http_methods(["GET", "POST"])
@role_required(OPERATOR)
def action(request, pk, kind):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    if kind not in actions.KINDS:
        raise Http404("No such action.")
    template = "releases/action.html#confirm" if request.htmx else "releases/action.html"
    context = {"target": target, "kind": kind, "spec": actions.KINDS[kind]}
    if request.method == "GET":
        offered = actions.available(target).get(kind)  # None: not possible now; {}: possible, with no parameters
        form = ActionForm(kind=kind, initial=offered or {})
        return render(request, template, {**context, "form": form, "offered": offered})
    form = ActionForm(request.POST, kind=kind)
    if form.is_valid():
        try:
            done = actions.request_action(
                target,
                kind,
                user=request.user,
                reason=form.cleaned_data["reason"],
                expected=form.expected(),
                extra=form.extra(),
                request=request,
            )
        except actions.ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            if request.htmx:
                return render(request, "releases/action.html#status", {"action": done})
            messages.success(request, f"{done.get_kind_display()} requested; AWS's answer shows below.")
            return redirect(target)
    return render(request, template, {**context, "form": form, "offered": form.data})


@require_GET
@role_required(VIEWER)
def action_status(request, pk):
    done = get_object_or_404(OperatorAction.objects.select_related("requested_by", "target"), pk=pk)
    response = render(request, "releases/action.html#status", {"action": done})
    if not done.is_open and request.htmx:
        response.status_code = HttpResponseStopPolling.status_code
    return response
