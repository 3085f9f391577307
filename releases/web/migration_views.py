"""The page of a target's move to ECS blue/green: preconditions, plan, and the runs of each phase. Reads the
database and queues jobs; the worker does the AWS calls."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from dashboard.jobs import job_fragment
from dashboard.roles import ADMIN, OPERATOR, VIEWER, has_role, role_required
from releases import migration_requests as moves
from releases.migration_models import MigrationRun, standing
from releases.models import ReleaseTarget

RUN_FRAGMENT = "releases/migration.html#run"
PHASE_ROLE = {MigrationRun.DRY_RUN: OPERATOR, MigrationRun.RUN: ADMIN, MigrationRun.ROLLBACK: ADMIN}
PHASE_ROLE[MigrationRun.DELETE] = ADMIN


class DryRunForm(forms.Form):
    # The wizard's bounds for ECS blue/green (provisioning/worker/ecs_blue_green.py): the pipeline's ECS deploy
    # action gives a whole deployment at most an hour.
    bake_minutes = forms.IntegerField(
        label="Bake time (minutes)",
        min_value=0,
        max_value=45,
        initial=30,
        help_text="How long ECS keeps blue and green running after production moved (0–45).",
    )


@require_GET
@role_required(VIEWER)
def migration(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    return render(request, "releases/migration.html", _context(request, target, DryRunForm()))


def _context(request, target, form):
    where, moved = standing(target)
    runs = {phase: moves.latest(target, phase) for phase, _ in MigrationRun.PHASES}
    offered = moves.offered(target)
    allowed = {phase for phase in offered if has_role(request.user, PHASE_ROLE[phase])}
    return {
        "target": target,
        "standing": where,
        "moved": moved,
        "runs": runs,
        "offered": offered,
        "allowed": allowed,
        "form": form,
        "dry": runs[MigrationRun.DRY_RUN],
    }


@require_POST
def start(request, pk, phase):
    if phase not in PHASE_ROLE:
        return redirect("release-migration", pk)
    return role_required(PHASE_ROLE[phase])(_start)(request, pk, phase)


def _start(request, pk, phase):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    options = {}
    if phase == MigrationRun.DRY_RUN:
        form = DryRunForm(request.POST)
        if not form.is_valid():
            return render(request, "releases/migration.html", _context(request, target, form), status=400)
        options = form.cleaned_data
    old = moves.codedeploy_service(target)
    if phase == MigrationRun.DELETE and request.POST.get("confirm") != old:
        messages.error(request, f"Type the CodeDeploy service's name, {old}, to delete the CodeDeploy resources.")
        return redirect("release-migration", pk)
    try:
        moves.start(target, phase, request=request, options=options)
    except moves.Refused as refused:
        messages.error(request, str(refused))
    return redirect("release-migration", pk)


@require_GET
@role_required(VIEWER)
def run_status(request, pk):
    run = get_object_or_404(MigrationRun.objects.select_related("target"), pk=pk)
    response = job_fragment(request, RUN_FRAGMENT, {"run": run, "target": run.target}, run)
    if run.is_finished and request.htmx:
        response["HX-Refresh"] = "true"  # the page again: what is offered, the preconditions and plan follow the run
    return response


@require_POST
def retry(request, pk):
    run = get_object_or_404(MigrationRun.objects.select_related("target"), pk=pk)
    return role_required(PHASE_ROLE[run.phase])(_retry)(request, run)


def _retry(request, run):
    try:
        moves.retry(run, request=request)
    except moves.Refused as refused:
        messages.error(request, str(refused))
    return redirect("release-migration", run.target_id)
