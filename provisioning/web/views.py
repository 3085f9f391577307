from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.jobs import job_fragment
from dashboard.roles import ADMIN, role_required
from provisioning import source_files
from provisioning.models import Setup, StepRun
from provisioning.web import forms, step_requests
from provisioning.worker import steps

RUN_FRAGMENT = "provisioning/step.html#run"


@require_GET
@role_required(ADMIN)
def index(request):
    return render(request, "provisioning/index.html", {"setups": Setup.objects.all(), "form": new_setup_form()})


def new_setup_form(data=None):
    initial = {"region": settings.AWS_REGION, "profile": settings.AWS_PROFILE, "engine": Setup.ENGINES[0][0]}
    return forms.ConnectForm(data, initial=initial)


@require_POST
@role_required(ADMIN)
def create(request):
    form = new_setup_form(request.POST)
    if not form.is_valid():
        return render(request, "provisioning/index.html", {"setups": Setup.objects.all(), "form": form})
    setup, _ = step_requests.create_setup(form.cleaned_data, user=request.user, request=request)
    return redirect("setup-step", setup.name, "connect")


@require_GET
@role_required(ADMIN)
def detail(request, name):
    setup = get_object_or_404(Setup, name=name)
    active = setup.active_run()
    if active:
        return redirect("setup-teardown", name) if active.is_teardown else redirect("setup-step", name, active.step)
    current = next(
        (s for s, run, _ in step_requests.step_states(setup) if not run or run.status != StepRun.SUCCEEDED), None
    )
    return redirect("setup-step", name, (current or steps.for_setup(setup)[-1]).KEY)


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def step(request, name, step):
    setup = get_object_or_404(Setup, name=name)
    states = step_requests.step_states(setup)
    keys = [shown.KEY for shown, _, _ in states]
    if step not in keys:
        raise Http404("No such step (for this setup's engine).")
    shown, run, available = states[keys.index(step)]
    form_class = forms.FORMS[step]
    extra = {"setup": setup} if step in forms.FORMS_OF_SETUP else {}
    initial = {**forms.initial(setup), **forms.placed(setup)}
    form = form_class(request.POST or None, initial=initial, **extra)
    if request.method == "POST" and available and step == "service" and request.POST.get("recreate") == "service":
        return start(request, setup, step, {}, recreate=True)  # with the values the failed run saved
    if request.method == "POST" and available and form.is_valid():
        return start(request, setup, step, {k: v for k, v in form.cleaned_data.items() if k != "name"})
    return render(
        request,
        "provisioning/step.html",
        {
            "setup": setup,
            "step": shown,
            "states": states,
            "run": run,
            "available": available,
            "form": form,
            "files": source_files.for_setup(initial, setup.outputs, setup.engine) if step == "taskdef" else None,
        }
        | run_context(setup, run),
    )


def start(request, setup, step, values, **options):
    try:
        step_requests.start_step(setup, step, values, request=request, **options)
    except step_requests.Busy as busy:
        messages.error(request, str(busy))
    return redirect("setup-step", setup.name, step)


def run_context(setup, run):
    """What the run's fragment shows next to the checklist."""
    context = {
        "registry": setup.outputs.get("repository_uri", "").split("/")[0],
        "endpoint_url": settings.AWS_ENDPOINT_URL,
    }
    if run and step_requests.waits_for_image(run):
        context["waits_for_image"] = True  # for what an optional app adds below the checklist ("setup_run")
    chosen = steps.for_setup(setup)
    keys = [shown.KEY for shown in chosen]
    if run and run.step in keys:
        index = keys.index(run.step)
        context["next_step"] = chosen[index + 1] if index + 1 < len(chosen) else None
    return context


@require_GET
@role_required(ADMIN)
def run_detail(request, pk):
    run = get_object_or_404(StepRun.objects.select_related("setup"), pk=pk)
    context = {"setup": run.setup, "run": run} | run_context(run.setup, run)
    return job_fragment(request, RUN_FRAGMENT, context, run)


@require_POST
@role_required(ADMIN)
def run_retry(request, pk):
    run = get_object_or_404(StepRun.objects.select_related("setup"), pk=pk)
    try:
        if not step_requests.retry(run, request=request):
            messages.info(request, "That step is not failed; there is nothing to retry.")
    except step_requests.Busy as busy:
        messages.error(request, str(busy))
    if run.is_teardown:
        return redirect("setup-teardown", run.setup.name)
    return redirect("setup-step", run.setup.name, run.step)


@require_GET
@role_required(ADMIN)
def source_file(request, name, filename):
    setup = get_object_or_404(Setup, name=name)
    found = source_files.download(forms.initial(setup), setup.outputs, filename, setup.engine)
    if found is None:
        raise Http404("No such file yet.")
    content, content_type = found
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def inventory(request, name):
    """The inventory, with the latest drift check; POST starts a new check (a worker reads AWS)."""
    setup = get_object_or_404(Setup, name=name)
    if request.method == "POST":
        step_requests.check_drift(setup, request=request)
        return redirect("setup-inventory", name)
    check = setup.drift_checks.first()
    findings = {finding["resource"]: finding for finding in check.findings} if check else {}
    resources = [(resource, findings.get(resource.pk)) for resource in setup.resources.all()]
    context = {"setup": setup, "resources": resources, "check": check}
    if request.htmx and check:
        return job_fragment(request, "provisioning/inventory.html#inventory", context, check)
    return render(request, "provisioning/inventory.html", context)


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def teardown(request, name):
    setup = get_object_or_404(Setup, name=name)
    form = forms.TeardownForm(request.POST or None, setup=setup)
    if request.method == "POST" and form.is_valid():
        try:
            step_requests.teardown(setup, request=request)
        except step_requests.Busy as busy:
            messages.error(request, str(busy))
        return redirect("setup-teardown", name)
    run = setup.runs.filter(step=StepRun.TEARDOWN).first()
    return render(request, "provisioning/teardown.html", {"setup": setup, "form": form, "run": run})
