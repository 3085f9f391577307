"""The wizard against AWS as it really behaves: new roles take a while to be usable, roles found by name must fit,
and the deploy action's five days bound the waits."""

import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from provisioning.models import StepRun
from provisioning.tests.checks import IAM_WAIT, assert_set_up_as_the_tutorial_says, provision_in_thread
from provisioning.tests.factories import make_setup
from provisioning.tests.test_errors import wait_until_finished

PROPAGATION = 60  # sandbox seconds a new role is refused for


def test_waits_that_cannot_fit_in_the_deploy_action_s_five_days_are_refused(client, admin_user):
    setup, _ = make_setup("shop")
    for key in ("repository", "taskdef", "loadbalancer", "service"):
        StepRun.objects.create(setup=setup, step=key, status=StepRun.SUCCEEDED)
    client.force_login(admin_user)
    form = {
        "application": "shop-app",
        "deployment_group": "shop-dg",
        "codedeploy_role": "shop-codedeploy",
        "reroute": "wait",
        "ready_wait_minutes": 7000,
        "termination_wait_minutes": 200,
        "deployment_config": "CodeDeployDefault.ECSAllAtOnce",
    }
    refused = client.post(reverse("setup-step", args=["shop", "codedeploy"]), form)
    assert "times out after five days" in " ".join(refused.context["form"].errors["termination_wait_minutes"])
    assert refused.context["form"]["ready_wait_minutes"].value() == "7000"  # kept as typed
    assert not setup.runs.filter(step="codedeploy").exists()

    accepted = client.post(reverse("setup-step", args=["shop", "codedeploy"]), {**form, "reroute": "immediately"})
    assert accepted.status_code == 302  # the ready wait does not count when traffic is rerouted at once


def test_a_new_codedeploy_role_is_waited_for_from_the_page_until_iam_has_it(client, admin_user, aws, sandbox, worker):
    call_command("provision", "shop", "--until", "service", "--sample-image")
    sandbox.configure(role_propagation_seconds=PROPAGATION)
    client.force_login(admin_user)
    page = client.get(reverse("setup-step", args=["shop", "codedeploy"]))
    form = {f.name: f.value() for f in page.context["form"] if f.value() not in (None, "", [])}
    client.post(reverse("setup-step", args=["shop", "codedeploy"]), form)

    run = StepRun.objects.get(step="codedeploy")
    deadline = time.monotonic() + 30
    while not (run.status == StepRun.WAITING and IAM_WAIT in run.message):
        assert time.monotonic() < deadline, f"the step did not wait for IAM: {run.status} {run.message}"
        time.sleep(0.05)
        run.refresh_from_db()
    fragment = client.get(reverse("setup-run", args=[run.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "IAM is still making the new role known to CodeDeploy (InvalidRoleException)" in fragment
    assert sandbox.calls()["codedeploy"]["CreateDeploymentGroup"] >= 1

    sandbox.advance(PROPAGATION + 1)
    run = wait_until_finished(run)
    assert run.status == "succeeded", run.error_message
    assert aws.codedeploy.get_deployment_group(applicationName="shop-app", deploymentGroupName="shop-dg")


def test_every_create_that_passes_a_new_role_waits_for_iam_and_the_setup_completes(transactional_db, aws, sandbox):
    sandbox.configure(role_propagation_seconds=PROPAGATION)
    waited = provision_in_thread(sandbox, "shop", "--sample-image")

    assert waited == {"taskdef", "codedeploy", "pipeline"}
    assert_set_up_as_the_tutorial_says(aws, "shop", source="codecommit")


def trust(service):
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_role_found_by_name_that_does_not_fit_fails_the_step_with_the_fix(transactional_db, aws, sandbox):
    aws.iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    with pytest.raises(
        CommandError,
        match="RoleNotTrusted: Role ecsTaskExecutionRole exists but does not let "
        "ecs-tasks.amazonaws.com assume it. Fix: change the role in IAM, or enter a role name",
    ):
        call_command("provision", "shop", "--until", "taskdef", "--sample-image")

    aws.iam.update_assume_role_policy(RoleName="ecsTaskExecutionRole", PolicyDocument=trust("ecs-tasks.amazonaws.com"))
    with pytest.raises(
        CommandError,
        match="RolePolicyMissing: Role ecsTaskExecutionRole exists but lacks the "
        "managed policy service-role/AmazonECSTaskExecutionRolePolicy",
    ):
        call_command("provision", "shop", "--until", "taskdef")

    aws.iam.attach_role_policy(
        RoleName="ecsTaskExecutionRole",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    )
    call_command("provision", "shop", "--until", "taskdef")
    assert StepRun.objects.filter(step="taskdef").latest("pk").status == "succeeded"


def test_an_adopted_pipeline_role_without_the_permissions_it_needs_is_refused(transactional_db, aws, sandbox):
    aws.iam.create_role(RoleName="shop-codepipeline", AssumeRolePolicyDocument=trust("codepipeline.amazonaws.com"))
    with pytest.raises(
        CommandError,
        match="RolePermissionsMissing: Role shop-codepipeline exists but is not allowed .*codedeploy:CreateDeployment",
    ):
        call_command("provision", "shop", "--until", "pipeline", "--sample-image")
