"""What the app adds to the wizard: a sample image push while a step waits for an image, and provision's
--sample-image."""

import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dashboard import aws
from provisioning.models import StepRun
from provisioning.tests.factories import make_setup
from sandbox_console.models import ImagePush

WAITING_FOR_IMAGE = [{"key": "image", "label": "Wait for the first image", "status": "waiting", "detail": ""}]


@pytest.fixture
def waiting(db):
    setup, _ = make_setup("shop", config={"ecr_repository": "shop-images", "image_tag": "latest"})
    run = StepRun.objects.create(
        setup=setup, step="repository", status=StepRun.WAITING, actions=WAITING_FOR_IMAGE, message="Push an image"
    )
    return setup, run


def test_a_step_waiting_for_an_image_offers_a_sample_image(client, admin_user, waiting, settings):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"
    setup, run = waiting
    client.force_login(admin_user)
    fragment = client.get(reverse("setup-run", args=[run.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "Push a sample image" in fragment
    StepRun.objects.filter(pk=run.pk).update(status=StepRun.SUCCEEDED)
    fragment = client.get(reverse("setup-run", args=[run.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "Push a sample image" not in fragment


def test_the_wizard_button_pushes_to_the_setups_repository(client, admin_user, waiting, sandbox, worker):
    aws.call("ecr", "create_repository", repositoryName="shop-images")
    client.force_login(admin_user)
    response = client.post(reverse("setup-sample-image", args=["shop"]))
    assert response.status_code == 302
    push = ImagePush.objects.get()
    deadline = time.monotonic() + 20
    while not push.is_finished and time.monotonic() < deadline:
        time.sleep(0.05)
        push.refresh_from_db()
    assert (push.status, push.repository) == ("succeeded", "shop-images"), push.error_message
    fragment = client.get(reverse("setup-run", args=[waiting[1].pk])).content.decode()
    assert "last push: Succeeded" in fragment


def test_a_push_is_refused_in_the_worker_when_the_endpoint_is_not_the_sandbox(client, admin_user, waiting, settings):
    from sandbox_console.tasks import push_sample_image

    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing answers there
    client.force_login(admin_user)
    client.post(reverse("setup-sample-image", args=["shop"]))
    push = ImagePush.objects.get()
    push_sample_image.apply(args=(push.pk,))  # what the worker runs
    push.refresh_from_db()
    assert (push.status, push.error_code) == ("failed", "NotTheSandbox")


def test_provision_sample_image_pushes_when_a_step_waits(sandbox, db):
    out = io.StringIO()
    call_command("provision", "shop", "--until", "repository", "--sample-image", stdout=out)
    assert "pushed a sample image to shop-images:latest" in out.getvalue()
    assert aws.call("ecr", "describe_images", repositoryName="shop-images")["imageDetails"]


def test_provision_sample_image_is_refused_off_the_sandbox(waiting, settings):
    from sandbox_console.management.commands.provision import Command

    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing answers there
    with pytest.raises(CommandError, match="only against the local sandbox"):
        Command().push_sample_image(waiting[0])
