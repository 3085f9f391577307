"""`provision --engine ecs`: the same wizard, with ECS's own blue/green in place of CodeDeploy; a second run changes
nothing, and teardown removes what it made."""

import pytest
from django.core.management import CommandError, call_command

from provisioning.models import Resource, Setup, StepRun
from provisioning.tests.checks import (
    assert_nothing_left,
    assert_nothing_left_with_ecs,
    assert_released_with_ecs,
    assert_set_up_with_ecs_blue_green,
    provision_in_thread,
)
from provisioning.tests.test_headless import mutations
from releases.models import ReleaseTarget

pytestmark = pytest.mark.django_db(transaction=True)


def test_provision_with_the_ecs_engine_sets_up_ecs_blue_green_reruns_without_change_and_tears_down(aws, sandbox):
    provision_in_thread(sandbox, "shop", "--engine", "ecs", "--verify-mode", "start", "--sample-image")

    setup = Setup.objects.get(name="shop")
    assert setup.engine == "ecs"
    assert [run.step for run in setup.runs.order_by("pk")] == [
        "connect",
        "repository",
        "taskdef",
        "loadbalancer",
        "service",
        "pipeline",
        "verify",
    ]
    assert all(run.status == StepRun.SUCCEEDED for run in setup.runs.all())
    rules, pair = assert_set_up_with_ecs_blue_green(aws, "shop")
    deployment = assert_released_with_ecs(aws, "shop", rules, pair)
    assert setup.outputs["deployment_id"] == deployment["serviceDeploymentArn"]
    assert ReleaseTarget.objects.get(pipeline_name="shop-pipeline").engine == "ecs"
    kinds = set(setup.resources.values_list("kind", flat=True))
    assert {"elbv2.listener-rule", "iam.role"} <= kinds
    assert not {"codedeploy.application", "codedeploy.deployment-group"} & kinds

    inventory = list(Resource.objects.values_list("kind", "name", "arn", "owned", "state").order_by("pk"))
    calls = sandbox.calls()
    provision_in_thread(sandbox, "shop", "--verify-mode", "start")
    assert mutations(calls, sandbox.calls()) == {}
    assert list(Resource.objects.values_list("kind", "name", "arn", "owned", "state").order_by("pk")) == inventory

    call_command("teardown", "shop", "--confirm", "shop")
    assert_nothing_left(aws, "shop")
    assert_nothing_left_with_ecs(aws, "shop")
    assert not setup.resources.exclude(state=Resource.DELETED).filter(owned=True).exists()


def test_the_engine_is_fixed_once_step_2_has_made_something(aws, sandbox):
    provision_in_thread(sandbox, "shop", "--until", "taskdef", "--sample-image")
    with pytest.raises(CommandError) as refused:
        call_command("provision", "shop", "--engine", "ecs", "--until", "taskdef")
    assert "--engine: shop already deploys with codedeploy" in str(refused.value)
    assert Setup.objects.get(name="shop").engine == "codedeploy"


def test_the_ecs_engine_asks_for_a_bake_time_the_deploy_action_can_wait_for(db):
    with pytest.raises(CommandError) as refused:
        call_command("provision", "shop", "--engine", "ecs", "--bake-time-minutes", "50")
    assert "--bake-time-minutes: Ensure this value is less than or equal to 45." in str(refused.value)
    assert not Setup.objects.exists()


def test_a_rerun_brings_the_bake_time_back_in_line_and_drift_shows_what_someone_changed(aws, sandbox):
    from provisioning.worker import drift

    provision_in_thread(sandbox, "shop", "--engine", "ecs", "--until", "service", "--sample-image")
    aws.ecs.update_service(
        cluster="shop-cluster",
        service="shop-service",
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5},
    )
    setup = Setup.objects.get(name="shop")
    findings = {f["kind"]: f for f in drift.findings(setup)}
    assert findings["ecs.service"]["state"] == drift.DRIFTED
    assert findings["ecs.service"]["changes"] == [{"what": "bake time", "aws": "5 minutes", "wanted": "30 minutes"}]
    assert findings["elbv2.listener-rule"]["state"] == drift.IN_LINE

    provision_in_thread(sandbox, "shop", "--until", "service", "--bake-time-minutes", "10")

    service = aws.ecs.describe_services(cluster="shop-cluster", services=["shop-service"])["services"][0]
    assert service["deploymentConfiguration"]["bakeTimeInMinutes"] == 10
    run = StepRun.objects.filter(setup=setup, step="service").latest("pk")
    assert "Changed service shop-service: bake time from 5 minutes to 10 minutes" in [a["label"] for a in run.actions]
    setup.refresh_from_db()
    assert [f for f in drift.findings(setup) if f["state"] in (drift.DRIFTED, drift.GONE)] == []
