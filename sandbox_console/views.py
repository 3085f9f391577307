"""The sandbox page (admin), there only while a worker has seen that the configured endpoint is the sandbox, and
the wizard's sample image push."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.jobs import job_fragment, start_job
from dashboard.models import placement
from dashboard.roles import ADMIN, role_required
from provisioning.models import Setup

from .forms import ImagePushForm
from .models import IMAGE_PUSH, ImagePush, SandboxHealth


def setup_repositories():
    known = []
    for config in Setup.objects.order_by("-created_at").values_list("config", flat=True):
        if config.get("ecr_repository"):
            known.append((config["ecr_repository"], config.get("image_tag") or "latest"))
    return known


def push_image(request, repository, tag, *, setup=None):
    """Queue a push of the sample image; through the setup's connection when it is for a setup."""
    params = {"repository": repository, "tag": tag, **({"setup": setup.name} if setup else {})}
    where = placement(setup.aws_connection, region=setup.region, profile=setup.profile) if setup else placement()
    return start_job(request, ImagePush, IMAGE_PUSH, params=params, repository=repository, tag=tag, **where)


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def sandbox_page(request):
    if not settings.AWS_ENDPOINT_URL:
        raise Http404("The dashboard is pointed at AWS itself, not at the sandbox.")
    health = SandboxHealth.current_row()
    if health is None:  # just started (the worker's first look may come before the sandbox answers), or not it
        context = {"endpoint_url": settings.AWS_ENDPOINT_URL, "every": settings.SANDBOX_HEALTH_SECONDS}
        return render(request, "sandbox_console/not_seen.html", context)
    form = ImagePushForm(request.POST or None, known=setup_repositories())
    if request.method == "POST" and form.is_valid():
        push_image(request, **form.cleaned_data)
        return redirect("sandbox")
    context = {
        "health": health.document,
        "seen_at": health.seen_at,
        "endpoint_url": settings.AWS_ENDPOINT_URL,
        "form": form,
        "pushes": ImagePush.objects.all()[:10],
    }
    return render(request, "sandbox_console/page.html", context)


@require_GET
@role_required(ADMIN)
def image_push_detail(request, pk):
    push = get_object_or_404(ImagePush, pk=pk)
    return job_fragment(request, "sandbox_console/page.html#image-push", {"push": push}, push)


@require_POST
@role_required(ADMIN)
def setup_sample_image(request, name):
    """The wizard's button while a step waits for an image: push the sample image to the setup's repository."""
    setup = get_object_or_404(Setup, name=name)
    if "ecr_repository" not in setup.config:
        messages.error(request, "This setup has no image repository yet.")
    else:
        repository, tag = setup.config["ecr_repository"], setup.config["image_tag"]
        push_image(request, repository, tag, setup=setup)
    return redirect(setup)
