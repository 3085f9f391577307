import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard import aws
from dashboard.audit import AuditEvent
from dashboard.tests.workers import kill_mid_call, sweep_and_finish
from releases.models import ReleaseTarget
from sandbox_console.models import ImagePush, SandboxHealth
from sandbox_console.tasks import record_health


def test_the_worker_notices_the_endpoint_is_the_sandbox(seen_sandbox):
    health = SandboxHealth.objects.get()
    assert health.document["sandbox"] is True
    assert health.endpoint_url == seen_sandbox.endpoint_url


def test_an_endpoint_that_is_not_the_sandbox_is_forgotten(seen_sandbox, settings):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing answers there
    record_health()
    assert SandboxHealth.current() is None
    settings.AWS_ENDPOINT_URL = seen_sandbox.endpoint_url
    assert SandboxHealth.current() is not None  # another endpoint's health is kept apart
    SandboxHealth.record(seen_sandbox.endpoint_url, None)
    assert SandboxHealth.current() is None


def test_the_page_is_there_only_while_the_endpoint_is_the_sandbox(client, admin_user, seen_sandbox, settings):
    client.force_login(admin_user)
    assert client.get(reverse("sandbox")).status_code == 200
    overview = client.get(reverse("overview")).content
    assert b'href="/sandbox/"' in overview
    settings.AWS_ENDPOINT_URL = ""  # real AWS
    assert client.get(reverse("sandbox")).status_code == 404
    assert b'href="/sandbox/"' not in client.get(reverse("overview")).content


def test_before_a_worker_has_seen_the_sandbox_the_page_says_so_and_looks_again(client, admin_user, settings):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"  # just started: the worker's first look is still to come
    client.force_login(admin_user)
    page = client.get(reverse("sandbox"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "No worker has seen the sandbox at" in text and '<meta http-equiv="refresh" content="5">' in text


def test_the_page_links_each_load_balancer_listener_to_its_local_url(client, admin_user, seen_sandbox):
    from sandbox.testing import SandboxClients
    from sandbox.tutorial import Tutorial

    client.force_login(admin_user)
    assert "No load balancer yet" in client.get(reverse("sandbox")).content.decode()
    Tutorial(SandboxClients(seen_sandbox)).step3_load_balancer()
    record_health()  # the worker's next look
    page = client.get(reverse("sandbox")).content.decode()
    health = SandboxHealth.current()
    (lb,) = health["load_balancers"]
    assert lb["load_balancer_name"] == "my-alb" and [li["port"] for li in lb["listeners"]] == [80, 8080]
    for listener in lb["listeners"]:
        assert f'href="{listener["local_url"]}"' in page and f"HTTP:{listener['port']}" in page
    with pytest.raises(urllib.error.HTTPError) as answer:  # the load balancer itself: no task behind it yet
        urllib.request.urlopen(lb["listeners"][0]["local_url"], timeout=10)  # noqa: S310 - a local URL
    assert answer.value.code == 503


def test_only_an_admin_sees_the_link(client, operator, seen_sandbox):
    client.force_login(operator)
    assert b'href="/sandbox/"' not in client.get(reverse("overview")).content


def test_the_nav_link_costs_no_query(client, admin_user, seen_sandbox):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("insights"))
    assert b'href="/sandbox/"' in page.content
    assert captured.captured_queries and not [q for q in captured if "sandbox_console" in q["sql"]]


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
    assert "Pushed a sample image" in client.get(reverse("history")).content.decode()


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


def test_the_overview_says_the_connection_is_the_sandbox(client, operator, seen_sandbox, settings):
    from dashboard.models import ConnectionCheck

    ConnectionCheck.objects.create(status="succeeded", account="123456789012", endpoint_url=settings.AWS_ENDPOINT_URL)
    client.force_login(operator)
    assert "Sandbox AWS" in client.get(reverse("overview")).content.decode()


def test_a_push_whose_worker_was_killed_is_run_again_and_its_row_stops_polling(
    transactional_db, client, admin_user, seen_sandbox, job_queue, tmp_path
):
    aws.call("ecr", "create_repository", repositoryName="nginx")
    client.force_login(admin_user)
    log = (tmp_path / "workers.log").open("w")  # read it when this test fails

    def push():
        client.post(reverse("sandbox"), {"repository": "nginx", "tag": "latest"})
        return ImagePush.objects.get()

    job = kill_mid_call(seen_sandbox, job_queue, log, "ecr", "PutImage", push)
    job = sweep_and_finish(job, job_queue, log)
    log.close()
    assert (job.status, job.attempts) == (ImagePush.SUCCEEDED, 2), job.error_message
    images = aws.call("ecr", "describe_images", repositoryName="nginx")["imageDetails"]
    assert [image["imageDigest"] for image in images] == [job.digest]
    row = client.get(reverse("image-push-detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert row.status_code == 286
