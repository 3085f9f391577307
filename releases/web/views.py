"""The release console's pages and htmx fragments. They read the database only; AWS is the workers' business."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from dashboard.jobs import job_fragment
from dashboard.roles import ADMIN, OPERATOR, VIEWER, role_required
from dashboard.validators import bad_request
from releases import action_kinds, action_requests, freezes, offers
from releases.models import FourEyesRequest, Freeze, OperatorAction, ReleaseTarget, TrackRequest
from releases.web import display, four_eyes, fragment_cache, track_requests
from releases.web.forms import ActionForm, ConsoleQuery, DecisionForm, FourEyesForm, FreezeForm, PollQuery, TrackForm


@require_GET
@role_required(VIEWER)
def index(request):
    return render(request, "releases/index.html", _index_context(TrackForm()))


def _index_context(form):
    return {
        "groups": display.grouped_summaries(),
        "etag": display.summary_etag(),
        "form": form,
        "jobs": TrackRequest.objects.select_related("target")[:5],
    }


@require_GET
@role_required(VIEWER)
def summary(request):
    query = PollQuery(request.GET)
    if not query.is_valid():
        return bad_request(query)
    etag = display.summary_etag()
    if query.unchanged(etag):
        return HttpResponse(status=204)  # nothing to swap: the fragment the browser holds is still current
    return HttpResponse(fragment_cache.summary_markup(etag))


@require_POST
@role_required(ADMIN)
def track(request):
    form = TrackForm(request.POST)
    if not form.is_valid():  # the form again, with what was typed and what is wrong with it
        if request.htmx:
            response = render(request, "releases/index.html#track-form", {"form": form})
            return reswap(retarget(response, "#track-form"), "outerHTML")
        return render(request, "releases/index.html", _index_context(form))
    job = track_requests.request_tracking(request, **form.cleaned_data)
    if request.htmx:  # the new job's line, and the form again without the errors an earlier try left on it
        job_line = render_to_string("releases/index.html#track-job", {"job": job}, request)
        form_again = render_to_string("releases/index.html#track-form", {"form": form, "oob": True}, request)
        return HttpResponse(job_line + form_again)
    return redirect("releases")


@require_GET
@role_required(VIEWER)
def track_status(request, pk):
    job = get_object_or_404(TrackRequest.objects.select_related("target"), pk=pk)
    return job_fragment(request, "releases/index.html#track-job", {"job": job}, job)


@require_GET
@role_required(VIEWER)
def target(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    query = ConsoleQuery(request.GET)
    if not query.is_valid():
        return bad_request(query)
    console = fragment_cache.Console(request, target, query.cleaned_data["release"])
    return render(request, "releases/target.html", console.context())


@require_GET
@role_required(VIEWER)
def target_live(request, pk):
    """204 while the browser holds this version, 304 when If-None-Match names it, else the console's markup that
    every viewer of this role shares (fragment_cache) inside the fragment drawn for this request."""
    target = get_object_or_404(ReleaseTarget, pk=pk)
    query = ConsoleQuery(request.GET)
    if not query.is_valid():
        return bad_request(query)
    if query.unchanged(target.version):
        return HttpResponse(status=204)
    console = fragment_cache.Console(request, target, query.cleaned_data["release"])
    response = console.not_modified(request) or HttpResponse(console.live(request))
    response["ETag"] = console.etag
    return response


@require_http_methods(["GET", "POST"])
@role_required(OPERATOR)
def action(request, pk, kind):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    if kind not in action_kinds.KINDS:
        raise Http404("No such action.")
    template = "releases/action.html#confirm" if request.htmx else "releases/action.html"
    context = {
        "target": target,
        "kind": kind,
        "spec": action_kinds.KINDS[kind],
        "freeze": freezes.blocking(target, kind),
        "four_eyes": four_eyes.needed(target, kind),
    }
    if request.method == "GET":
        offered = offers.available(target).get(kind)  # None: not possible now; {}: possible, with no parameters
        form = ActionForm(kind=kind, initial=offered or {})
        return render(request, template, {**context, "form": form, "offered": offered})
    form = ActionForm(request.POST, kind=kind)
    if form.is_valid():
        try:
            if four_eyes.needed(target, kind):
                asked = four_eyes.ask(target, kind, form, request)
                if request.htmx:
                    return render(request, "releases/action.html#asked", {**context, "asked": asked})
                messages.success(request, f"{asked.get_kind_display()} waits for a second operator's approval.")
                return redirect(target)
            done = action_requests.request_from_form(target, kind, form, request)
        except action_requests.ActionRefused as refused:
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
    return job_fragment(request, "releases/action.html#status", {"action": done}, done)


@require_POST
@role_required(ADMIN)
def freeze(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    form = FreezeForm(request.POST)
    if not form.is_valid():  # the console again, the form open with what was typed and what is wrong with it
        context = {**fragment_cache.Console(request, target).context(), "freeze_form": form}
        return render(request, "releases/target.html", context)
    freezes.set_freeze(target, **form.cleaned_data, user=request.user, request=request)
    messages.success(request, "Frozen: release changes and reroutes are refused until the freeze ends.")
    return redirect(target)


@require_POST
@role_required(ADMIN)
def end_freeze(request, pk, freeze_pk):
    window = get_object_or_404(Freeze.objects.select_related("target"), pk=freeze_pk, target_id=pk)
    if freezes.end_freeze(window, user=request.user, request=request):
        messages.success(request, "The freeze is ended.")
    return redirect(window.target)


@require_POST
@role_required(ADMIN)
def choose_four_eyes(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    form = FourEyesForm(request.POST)
    if form.is_valid():
        four_eyes.choose(target, form.cleaned_data["kinds"], user=request.user, request=request)
        messages.success(request, "Saved: the actions ticked need a second operator.")
    return redirect(target)


@require_POST
@role_required(OPERATOR)
def answer_four_eyes(request, pk, answer):
    if answer not in ("approve", "decline"):
        raise Http404("No such answer.")
    asked = get_object_or_404(FourEyesRequest.objects.select_related("target", "requested_by"), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say briefly why (at least 3 characters).")
        return redirect(asked.target)
    decide = four_eyes.approve if answer == "approve" else four_eyes.decline
    try:
        decide(asked, user=request.user, reason=form.cleaned_data["reason"], request=request)
    except action_requests.ActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, f"{asked.get_kind_display()}: {'approved and sent' if answer == 'approve' else 'declined'}."
        )
    return redirect(asked.target)
