"""The sandbox page (admin): shown only while the configured AWS endpoint is the local sandbox."""

import re

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from provisioning.models import Setup

from . import events
from .jobs import job_fragment, start_job
from .models import ImagePush, WorkerHeartbeat
from .roles import ADMIN, role_required
from .tasks import push_sample_image

REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def active_sandbox():
    """The sandbox's health as the worker last saw it, or None when the endpoint is not the sandbox."""
    beat = WorkerHeartbeat.objects.filter(name="worker").first()
    if beat and beat.sandbox and settings.AWS_ENDPOINT_URL and beat.endpoint_url == settings.AWS_ENDPOINT_URL:
        return beat.sandbox
    return None


def sandbox_context(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"sandbox_active": active_sandbox() is not None}


class ImagePushForm(forms.Form):
    repository = forms.CharField(max_length=256, min_length=2, help_text="An ECR repository name.")
    tag = forms.CharField(max_length=128, initial="latest")

    def __init__(self, *args, known=(), **kwargs):
        """`known`: (repository, tag) of each setup, newest first; the newest is the default."""
        super().__init__(*args, **kwargs)
        if known:
            self.fields["repository"].initial, self.fields["tag"].initial = known[0]
            self.fields["repository"].help_text = "The repository of a setup: " + ", ".join(
                dict.fromkeys(repository for repository, _ in known)
            )
        else:
            self.fields["repository"].help_text = "An ECR repository name; the setup wizard creates one."

    def clean_repository(self):
        name = self.cleaned_data["repository"]
        if not REPOSITORY_NAME.match(name):
            raise forms.ValidationError(
                "Use lowercase letters, digits and . _ - / between them, as ECR repository names do."
            )
        return name

    def clean_tag(self):
        tag = self.cleaned_data["tag"]
        if not IMAGE_TAG.match(tag):
            raise forms.ValidationError("A tag is up to 128 letters, digits, _ . or -, not starting with . or -.")
        return tag


def setup_repositories():
    known = []
    for config in Setup.objects.order_by("-created_at").values_list("config", flat=True):
        if config.get("ecr_repository"):
            known.append((config["ecr_repository"], config.get("image_tag") or "latest"))
    return known


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def sandbox_page(request):
    health = active_sandbox()
    if health is None:
        raise Http404("The configured AWS endpoint is not the sandbox.")
    form = ImagePushForm(request.POST or None, known=setup_repositories())
    if request.method == "POST" and form.is_valid():
        start_job(
            request,
            ImagePush,
            push_sample_image,
            events.SANDBOX_IMAGE_PUSH,
            params=form.cleaned_data,
            **form.cleaned_data,
        )
        return redirect("sandbox")
    return render(
        request,
        "dashboard/sandbox.html",
        {
            "health": health,
            "endpoint_url": settings.AWS_ENDPOINT_URL,
            "form": form,
            "pushes": ImagePush.objects.all()[:10],
        },
    )


@require_GET
@role_required(ADMIN)
def image_push_detail(request, pk):
    push = get_object_or_404(ImagePush, pk=pk)
    return job_fragment(request, "dashboard/sandbox.html#image-push", {"push": push}, push)
