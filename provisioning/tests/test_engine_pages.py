"""The wizard's pages for a setup whose service ECS deploys blue/green itself: its steps, its fields, its files."""

import json

from django.urls import reverse

from provisioning.models import Resource, Setup, StepRun
from provisioning.tests.factories import make_setup


def ecs_setup(name="shop"):
    setup, run = make_setup(name)
    Setup.objects.filter(pk=setup.pk).update(engine="ecs")
    setup.refresh_from_db()
    return setup, run


def test_the_ecs_engine_has_no_codedeploy_step_and_says_what_its_steps_make(client, admin_user):
    ecs_setup()
    client.force_login(admin_user)
    page = client.get(reverse("setup-step", args=["shop", "service"])).content.decode()
    assert ">Task definition and image definitions</a>" in page
    assert ">CodeDeploy</a>" not in page
    assert "the production and test listener rules" not in page  # the help names them in its own words
    assert "a production and a test listener rule forwarding to both" in page
    assert 'name="bake_time_minutes"' in page and 'value="30"' in page
    assert 'name="infrastructure_role"' in page and 'value="shop-ecs-infrastructure"' in page
    assert client.get(reverse("setup-step", args=["shop", "codedeploy"])).status_code == 404


def test_the_codedeploy_engine_keeps_the_tutorial_s_steps_and_fields(client, admin_user):
    make_setup("shop")
    client.force_login(admin_user)
    page = client.get(reverse("setup-step", args=["shop", "service"])).content.decode()
    assert ">CodeDeploy</a>" in page and ">Task definition and AppSpec</a>" in page
    assert 'name="bake_time_minutes"' not in page and 'name="infrastructure_role"' not in page
    assert client.get(reverse("setup-step", args=["shop", "codedeploy"])).status_code == 200


def test_the_ecs_engine_s_source_file_is_imagedefinitions_json(client, admin_user):
    ecs_setup()
    client.force_login(admin_user)
    found = client.get(reverse("setup-file", args=["shop", "imagedefinitions.json"]))
    assert json.loads(found.content) == [{"name": "sample-website", "imageUri": "shop-images:latest"}]
    assert client.get(reverse("setup-file", args=["shop", "appspec.yaml"])).status_code == 404
    page = client.get(reverse("setup-step", args=["shop", "taskdef"])).content.decode()
    assert "imagedefinitions.json" in page and "appspec.yaml</h3>" not in page


def test_the_engine_can_be_changed_until_step_2_has_made_something(client, admin_user):
    setup, _ = make_setup("shop")
    client.force_login(admin_user)
    url = reverse("setup-step", args=["shop", "connect"])
    page = client.get(url).content.decode()
    assert 'name="engine" value="ecs"' in page and "Fixed once" not in page
    client.post(url, {"region": "us-east-1", "engine": "ecs"})
    setup.refresh_from_db()
    assert setup.engine == "ecs"
    setup.runs.update(status=StepRun.SUCCEEDED)  # the connect run that POST queued

    Resource.objects.create(setup=setup, step="taskdef", kind="iam.role", name="ecsTaskExecutionRole")
    page = client.get(url).content.decode()
    assert "Fixed once step 2 (the task definition and source files) has made anything" in page
    client.post(url, {"region": "us-east-1", "engine": "codedeploy"})
    setup.refresh_from_db()
    assert setup.engine == "ecs"
