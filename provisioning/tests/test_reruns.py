"""Re-running a step with changed values brings what the wizard owns in line with the form, shows each change as a
sub-action, says plainly what AWS cannot change in place, and never changes an adopted resource."""

import pytest
from django.core.management import CommandError, call_command

from dashboard.audit import AuditEvent
from provisioning.models import Resource, StepRun

pytestmark = pytest.mark.django_db(transaction=True)


def provision(*args):
    call_command("provision", "shop", *args)


def last_run(step):
    return StepRun.objects.filter(setup__name="shop", step=step).latest("pk")


def labels(run):
    return [action["label"] for action in run.actions]


def detail(run, key):
    return run.action(key)["detail"]


def test_a_new_desired_count_updates_the_service_and_the_run_shows_the_change(aws, sandbox):
    provision("--until", "service", "--sample-image")
    provision("--until", "service", "--desired-count", "3")

    service = aws.ecs.describe_services(cluster="shop-cluster", services=["shop-service"])["services"][0]
    assert service["desiredCount"] == 3
    run = last_run("service")
    assert run.status == StepRun.SUCCEEDED
    assert labels(run) == [
        "Fargate cluster shop-cluster",
        "Service shop-service (CODE_DEPLOY controller)",
        "Changed service shop-service: tasks from 1 to 3",
    ]
    assert detail(run, "cluster") == "already there (ours)"
    assert detail(run, "service") == "already there (ours); brought in line with the form (1 change)"

    event = AuditEvent.objects.filter(action="setup.step", outcome="succeeded", target_id=str(run.pk)).get()
    assert event.params["changed"] == ["Changed service shop-service: tasks from 1 to 3"]

    provision("--until", "service")  # unchanged now: nothing more to change
    assert detail(last_run("service"), "service") == "already there (ours)"
    assert len(last_run("service").actions) == 2


def test_a_new_listener_port_moves_the_listener_the_deployment_group_uses(aws, sandbox):
    provision("--until", "codedeploy", "--sample-image")
    balancer = aws.elbv2.describe_load_balancers(Names=["shop-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    before = {
        item["Port"]: item["ListenerArn"]
        for item in aws.elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    }

    provision("--until", "codedeploy", "--test-port", "9090")

    after = {
        item["Port"]: item["ListenerArn"]
        for item in aws.elbv2.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
    }
    assert after == {80: before[80], 9090: before[8080]}  # the same listener, moved: the deployment group still has it
    group = aws.codedeploy.get_deployment_group(applicationName="shop-app", deploymentGroupName="shop-dg")
    (pair,) = group["deploymentGroupInfo"]["loadBalancerInfo"]["targetGroupPairInfoList"]
    assert pair["testTrafficRoute"]["listenerArns"] == [before[8080]]
    group_id = aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["shop-alb"]}])
    opened = {p["FromPort"] for p in group_id["SecurityGroups"][0]["IpPermissions"]}
    assert 9090 in opened
    run = last_run("loadbalancer")
    assert "Changed the test listener: port from 8080 to 9090" in labels(run)
    assert (
        labels(run).index("Changed the test listener: port from 8080 to 9090")
        == labels(run).index("Test listener on port 9090") + 1
    )
    assert detail(run, "listener_production") == "already there (ours)"
    assert Resource.objects.filter(kind="elbv2.listener", name="shop-alb:9090", arn=before[8080]).exists()
    assert not Resource.objects.filter(kind="elbv2.listener", name="shop-alb:8080").exists()


def test_a_changed_pipeline_declaration_is_updated_in_place(aws, sandbox):
    provision("--until", "pipeline", "--sample-image")
    old_role = aws.iam.get_role(RoleName="shop-codepipeline")["Role"]["Arn"]

    provision("--until", "pipeline", "--pipeline-role", "shop-pipeline-two")

    found = aws.codepipeline.get_pipeline(name="shop-pipeline")["pipeline"]
    new_role = aws.iam.get_role(RoleName="shop-pipeline-two")["Role"]["Arn"]
    assert found["roleArn"] == new_role
    assert found["version"] == 2
    run = last_run("pipeline")
    assert f"Changed pipeline shop-pipeline: roleArn from {old_role} to {new_role}" in labels(run)
    assert detail(run, "pipeline") == "already there (ours); brought in line with the form (1 change)"
    assert detail(run, "artifact_bucket") == "already there (ours)"


def test_the_approval_option_adds_a_manual_approval_stage_before_deploy_and_a_rerun_removes_it(aws, sandbox):
    provision("--until", "pipeline", "--sample-image", "--approval", "yes", "--approval-summary", "Check staging")
    stages = aws.codepipeline.get_pipeline(name="shop-pipeline")["pipeline"]["stages"]
    assert [stage["name"] for stage in stages] == ["Source", "Approval", "Deploy"]
    (approval,) = stages[1]["actions"]
    assert approval["actionTypeId"] == {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
    assert approval["configuration"] == {"CustomData": "Check staging"}

    provision("--until", "pipeline", "--approval", "no")
    stages = aws.codepipeline.get_pipeline(name="shop-pipeline")["pipeline"]["stages"]
    assert [stage["name"] for stage in stages] == ["Source", "Deploy"]
    assert "Changed pipeline shop-pipeline: stages[Approval] from present to (none)" in labels(last_run("pipeline"))


def test_what_aws_cannot_change_in_place_is_said_plainly_with_what_can_be_done(aws, sandbox):
    provision("--until", "service", "--sample-image")

    with pytest.raises(CommandError) as refused:
        provision("--until", "service", "--container-port", "8080")

    message = str(refused.value)
    assert "CannotChangeInPlace: AWS cannot change service shop-service in place" in message
    assert "container is sample-website:80, the form says sample-website:8080" in message
    assert "put the earlier value back in the form" in message
    assert "tear this setup down" in message
    service = aws.ecs.describe_services(cluster="shop-cluster", services=["shop-service"])["services"][0]
    assert service["loadBalancers"][0]["containerPort"] == 80
    assert last_run("service").status == StepRun.FAILED


def test_an_adopted_deployment_group_that_differs_is_never_changed(aws, sandbox):
    provision("--until", "codedeploy", "--sample-image")
    Resource.objects.filter(kind="codedeploy.deployment-group").update(owned=False)  # as if found, not made

    with pytest.raises(CommandError, match="AdoptedDiffers: Deployment group shop-dg was not made by the wizard"):
        provision("--until", "codedeploy", "--reroute", "wait")

    group = aws.codedeploy.get_deployment_group(applicationName="shop-app", deploymentGroupName="shop-dg")
    ready = group["deploymentGroupInfo"]["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready["actionOnTimeout"] == "CONTINUE_DEPLOYMENT"
    assert sandbox.calls()["codedeploy"].get("UpdateDeploymentGroup", 0) == 0


def test_a_new_repository_name_says_aws_cannot_rename_and_keeps_the_old_one(aws, sandbox):
    provision("--until", "repository", "--sample-image")
    provision("--until", "repository", "--ecr-repository", "shop-web", "--sample-image")

    assert {r["repositoryName"] for r in aws.ecr.describe_repositories()["repositories"]} >= {"shop-images", "shop-web"}
    assert (
        "AWS cannot rename the ECR repository shop-images: shop-web was made as a new one, and shop-images is kept "
        "as it is, still in the inventory (Teardown deletes it; to keep the old name, put it back in the form and "
        "run the step again)."
    ) in labels(last_run("repository"))
    assert Resource.objects.filter(kind="ecr.repository", name="shop-images", owned=True).exists()


def test_a_lost_tag_is_put_back_on_what_the_wizard_made(aws, sandbox):
    provision("--until", "service", "--sample-image")
    cluster = aws.ecs.describe_clusters(clusters=["shop-cluster"])["clusters"][0]["clusterArn"]
    aws.ecs.untag_resource(resourceArn=cluster, tagKeys=["bluegreen-dashboard:setup"])

    provision("--until", "service")

    tags = aws.ecs.list_tags_for_resource(resourceArn=cluster)["tags"]
    assert {"key": "bluegreen-dashboard:setup", "value": "shop"} in tags
    assert "Changed ecs.cluster shop-cluster: tag bluegreen-dashboard:setup from (none) to shop" in labels(
        last_run("service")
    )
