import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard import aws
from dashboard.audit import AuditEvent
from dashboard.models import ImagePush, WorkerHeartbeat
from dashboard.tasks import record_heartbeat
from releases.models import ReleaseTarget


@pytest.fixture
def seen_sandbox(sandbox, db):
    record_heartbeat()
    return sandbox


def test_the_worker_notices_the_endpoint_is_the_sandbox(seen_sandbox):
    beat = WorkerHeartbeat.objects.get()
    assert beat.sandbox["sandbox"] is True
    assert beat.endpoint_url == seen_sandbox.endpoint_url


def test_the_page_is_there_only_while_the_endpoint_is_the_sandbox(client, admin_user, seen_sandbox, settings):
    client.force_login(admin_user)
    assert client.get(reverse("sandbox")).status_code == 200
    assert b'href="/sandbox/"' in client.get(reverse("overview")).content
    settings.AWS_ENDPOINT_URL = ""  # real AWS
    assert client.get(reverse("sandbox")).status_code == 404
    assert b'href="/sandbox/"' not in client.get(reverse("overview")).content


def test_a_bad_repository_name_is_explained_and_the_input_kept(client, admin_user, seen_sandbox):
    client.force_login(admin_user)
    response = client.post(reverse("sandbox"), {"repository": "My Repo", "tag": "v1"})
    assert response.status_code == 200
    assert "lowercase letters" in response.content.decode()
    assert 'value="My Repo"' in response.content.decode()
    assert not ImagePush.objects.exists()


def wait_for(push, timeout=20):
    deadline = time.monotonic() + timeout
    while not push.is_finished and time.monotonic() < deadline:
        time.sleep(0.05)
        push.refresh_from_db()
    return push


def test_pushing_a_new_image_lands_in_the_repository(client, admin_user, seen_sandbox, worker):
    aws.call("ecr", "create_repository", repositoryName="nginx")
    idle = ReleaseTarget.objects.create(
        name="shop", pipeline_name="shop", region="us-east-1", poll_due_at=timezone.now() + timedelta(minutes=1)
    )
    client.force_login(admin_user)
    assert client.post(reverse("sandbox"), {"repository": "nginx", "tag": "latest"}).status_code == 302
    push = wait_for(ImagePush.objects.get())
    assert push.status == "succeeded", push.error_message
    images = aws.call("ecr", "describe_images", repositoryName="nginx")["imageDetails"]
    assert [image["imageDigest"] for image in images] == [push.digest]
    idle.refresh_from_db()
    assert idle.poll_due_at <= timezone.now()  # the console looks at the next beat, not in a minute
    outcomes = list(AuditEvent.objects.filter(action="sandbox.image_push").values_list("outcome", "actor"))
    assert sorted(outcomes) == [("requested", admin_user.pk), ("succeeded", admin_user.pk)]


def test_a_push_to_a_missing_repository_shows_the_aws_error(client, admin_user, seen_sandbox, worker):
    client.force_login(admin_user)
    client.post(reverse("sandbox"), {"repository": "missing", "tag": "latest"})
    push = wait_for(ImagePush.objects.get())
    assert (push.status, push.error_code) == ("failed", "RepositoryNotFoundException")
    assert "RepositoryNotFoundException" in client.get(reverse("sandbox")).content.decode()


def test_the_push_form_offers_the_repository_the_wizard_made(client, admin_user, seen_sandbox):
    from provisioning.tests.factories import make_setup

    client.force_login(admin_user)
    page = client.get(reverse("sandbox")).content.decode()
    assert "the setup wizard creates one" in page  # no setup yet: no made-up default
    make_setup("shop", config={"ecr_repository": "shop-images", "image_tag": "v2"})
    page = client.get(reverse("sandbox")).content.decode()
    assert 'value="shop-images"' in page and 'value="v2"' in page
