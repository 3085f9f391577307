"""The wizard's pages read the database only: checklist fragment, files, inventory, teardown confirmation."""

import json

from django.urls import reverse

from dashboard.audit import AuditEvent
from provisioning.models import Resource, StepRun
from provisioning.tests.factories import make_setup


def test_the_checklist_fragment_polls_until_the_step_ends(client, admin_user):
    setup, run = make_setup("shop")
    StepRun.objects.filter(pk=run.pk).update(status=StepRun.WAITING, message="Push an image")
    client.force_login(admin_user)
    url = reverse("setup-run", args=[run.pk])
    waiting = client.get(url, headers={"HX-Request": "true"})
    assert waiting.status_code == 200 and b"every 1s" in waiting.content and b"Push an image" in waiting.content
    StepRun.objects.filter(pk=run.pk).update(status=StepRun.SUCCEEDED)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286 and b"every 1s" not in done.content
    assert b"Next: Image repository" in done.content


def test_the_source_files_can_be_downloaded_before_the_step_runs(client, admin_user):
    make_setup("shop")
    client.force_login(admin_user)
    taskdef = client.get(reverse("setup-file", args=["shop", "taskdef.json"]))
    assert taskdef["Content-Disposition"] == 'attachment; filename="taskdef.json"'
    assert json.loads(taskdef.content)["containerDefinitions"][0]["image"] == "<IMAGE1_NAME>"
    assert client.get(reverse("setup-file", args=["shop", "source.zip"]))["Content-Type"] == "application/zip"
    assert client.get(reverse("setup-file", args=["shop", "secrets.txt"])).status_code == 404


def test_the_inventory_lists_what_was_created_and_what_was_adopted(client, admin_user):
    setup, run = make_setup("shop")
    Resource.objects.create(setup=setup, step="repository", kind="ecr.repository", name="shop-images", arn="arn:1")
    Resource.objects.create(setup=setup, step="taskdef", kind="iam.role", name="ecsTaskExecutionRole", owned=False)
    client.force_login(admin_user)
    page = client.get(reverse("setup-inventory", args=["shop"])).content.decode()
    assert "shop-images" in page and "created by the wizard" in page
    assert "ecsTaskExecutionRole" in page and "adopted (kept)" in page


def test_teardown_needs_the_setup_s_name_typed(client, admin_user):
    setup, run = make_setup("shop")
    Resource.objects.create(setup=setup, step="repository", kind="ecr.repository", name="shop-images", arn="arn:1")
    Resource.objects.create(setup=setup, step="service", kind="ecs.cluster", name="shop-cluster", arn="arn:2")
    Resource.objects.create(setup=setup, step="taskdef", kind="iam.role", name="ecsTaskExecutionRole", owned=False)
    client.force_login(admin_user)
    url = reverse("setup-teardown", args=["shop"])
    refused = client.post(url, {"confirm": "shp"})
    assert "Type shop exactly" in refused.content.decode()
    assert not setup.runs.filter(step=StepRun.TEARDOWN).exists()

    client.post(url, {"confirm": "shop"})
    teardown = setup.runs.get(step=StepRun.TEARDOWN)
    assert [a["label"] for a in teardown.actions] == [
        "Delete ecs.cluster shop-cluster",
        "Delete ecr.repository shop-images",
    ]
    assert AuditEvent.objects.filter(action="setup.teardown", outcome="requested", actor=admin_user).exists()


def test_the_finished_run_s_fragment_also_updates_the_step_list_and_the_button(client, admin_user):
    setup, run = make_setup("shop")
    client.force_login(admin_user)
    fragment = client.get(reverse("setup-run", args=[run.pk]), headers={"HX-Request": "true"}).content.decode()
    assert '<span id="status-connect" hx-swap-oob="true" class="badge succeeded">Succeeded</span>' in fragment
    assert 'id="run-button" class="primary" hx-swap-oob="true">Run this step again</button>' in fragment


def test_a_step_page_shows_the_step_s_help_not_its_docstring(client, admin_user):
    from provisioning.worker.steps import loadbalancer

    make_setup("shop")
    client.force_login(admin_user)
    page = client.get(reverse("setup-step", args=["shop", "loadbalancer"])).content.decode()
    assert loadbalancer.HELP in page
    assert loadbalancer.__doc__.splitlines()[0] not in page


def test_a_job_line_polls_as_often_as_the_setting_says(client, admin_user, settings):
    settings.JOB_POLL_SECONDS = 2.5
    setup, run = make_setup("shop")
    StepRun.objects.filter(pk=run.pk).update(status=StepRun.WAITING)
    client.force_login(admin_user)
    waiting = client.get(reverse("setup-run", args=[run.pk]), headers={"HX-Request": "true"})
    assert b'hx-trigger="every 2.5s"' in waiting.content
