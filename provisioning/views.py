import inspect

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.jobs import job_fragment
from dashboard.models import ImagePush
from dashboard.roles import ADMIN, role_required

from . import forms, services, steps, templates_files
from .models import Setup, StepRun

RUN_FRAGMENT = "provisioning/step.html#run"


@require_GET
@role_required(ADMIN)
def index(request):
    return render(request, "provisioning/index.html", {"setups": Setup.objects.all(), "form": new_setup_form()})


def new_setup_form(data=None):
    return forms.ConnectForm(data, initial={"region": settings.AWS_REGION, "profile": settings.AWS_PROFILE})


@require_POST
@role_required(ADMIN)
def create(request):
    form = new_setup_form(request.POST)
    if not form.is_valid():
        return render(request, "provisioning/index.html", {"setups": Setup.objects.all(), "form": form})
    setup, _ = services.create_setup(form.cleaned_data, user=request.user, request=request)
    return redirect("setup-step", setup.name, "connect")


@require_GET
@role_required(ADMIN)
def detail(request, name):
    setup = get_object_or_404(Setup, name=name)
    active = setup.active_run()
    if active:
        return redirect("setup-teardown", name) if active.is_teardown else redirect("setup-step", name, active.step)
    current = next((s for s, run, _ in services.step_states(setup) if not run or run.status != StepRun.SUCCEEDED), None)
    return redirect("setup-step", name, (current or steps.STEPS[-1]).KEY)


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def step(request, name, step):
    setup = get_object_or_404(Setup, name=name)
    if step not in steps.KEYS:
        raise Http404("No such step.")
    states = services.step_states(setup)
    _, run, available = states[steps.KEYS.index(step)]
    form_class = forms.FORMS[step]
    extra = {"setup": setup} if step == "connect" else {}
    initial = {**forms.initial(setup), "name": setup.name, "region": setup.region, "profile": setup.profile}
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
            "step": steps.get(step),
            "intro": inspect.getdoc(steps.get(step)),
            "states": states,
            "run": run,
            "available": available,
            "form": form,
            "files": templates_files.for_setup(initial, setup.outputs) if step == "taskdef" else None,
        }
        | run_context(setup, run),
    )


def start(request, setup, step, values, **options):
    try:
        services.start_step(setup, step, values, request=request, **options)
    except services.Busy as busy:
        messages.error(request, str(busy))
    return redirect("setup-step", setup.name, step)


def run_context(setup, run):
    """What the run's fragment shows next to the checklist."""
    context = {
        "registry": setup.outputs.get("repository_uri", "").split("/")[0],
        "endpoint_url": settings.AWS_ENDPOINT_URL,
    }
    if run and setup.is_sandbox and services.waits_for_image(run):
        context["offer_sample_image"] = True
        context["push"] = ImagePush.objects.filter(repository=setup.config["ecr_repository"]).first()
    if run and run.step in steps.KEYS:
        index = steps.KEYS.index(run.step)
        context["next_step"] = steps.STEPS[index + 1] if index + 1 < len(steps.STEPS) else None
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
        if not services.retry(run, request=request):
            messages.info(request, "That step is not failed; there is nothing to retry.")
    except services.Busy as busy:
        messages.error(request, str(busy))
    if run.is_teardown:
        return redirect("setup-teardown", run.setup.name)
    return redirect("setup-step", run.setup.name, run.step)


@require_POST
@role_required(ADMIN)
def sample_image(request, name):
    setup = get_object_or_404(Setup, name=name)
    if not setup.is_sandbox or "ecr_repository" not in setup.config:
        messages.error(request, "Sample images are pushed only to an image repository of the local sandbox.")
    else:
        services.push_sample_image(setup, request=request)
    return redirect(setup)


@require_GET
@role_required(ADMIN)
def source_file(request, name, filename):
    setup = get_object_or_404(Setup, name=name)
    found = templates_files.download(forms.initial(setup), setup.outputs, filename)
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
        services.check_drift(setup, request=request)
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
            services.teardown(setup, request=request)
        except services.Busy as busy:
            messages.error(request, str(busy))
        return redirect("setup-teardown", name)
    run = setup.runs.filter(step=StepRun.TEARDOWN).first()
    return render(request, "provisioning/teardown.html", {"setup": setup, "form": form, "run": run})
