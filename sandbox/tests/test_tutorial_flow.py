"""The tutorial's flow, end to end, with plain boto3 against the sandbox and no project code."""

import json

import pytest

from sandbox.tests.helpers import (
    CLUSTER,
    PIPELINE,
    SERVICE,
    advance_until,
    deployment,
    deployment_of_execution,
    execution,
    executions,
    forward_weights,
    in_termination_wait,
    primary_task_set,
    release,
    target,
    task_sets,
    wait_status,
)
from sandbox.tutorial import DEPLOY_CONFIGURATION, Tutorial


def assert_tutorial_resources(aws, t: Tutorial):
    # Step 1: ECR repository with the pushed image
    assert aws.ecr.describe_repositories()["repositories"][0]["repositoryName"] == "nginx"
    assert aws.ecr.describe_images(repositoryName="nginx")["imageDetails"][0]["imageTags"] == ["latest"]
    # Step 2: task execution role, task definition, source files
    aws.iam.get_role(RoleName="ecsTaskExecutionRole")
    task_def = aws.ecs.describe_task_definition(taskDefinition="ecs-demo:1")["taskDefinition"]
    assert task_def["containerDefinitions"][0]["name"] == "sample-website"
    assert (task_def["cpu"], task_def["memory"], task_def["networkMode"]) == ("256", "512", "awsvpc")
    if t.source == "codecommit":
        taskdef = aws.codecommit.get_file(repositoryName="MyDemoRepo", filePath="taskdef.json")["fileContent"]
        assert json.loads(taskdef)["containerDefinitions"][0]["image"] == "<IMAGE1_NAME>"
        appspec = aws.codecommit.get_file(repositoryName="MyDemoRepo", filePath="appspec.yaml")["fileContent"]
        assert b"<TASK_DEFINITION>" in appspec
        assert (
            aws.codecommit.get_repository(repositoryName="MyDemoRepo")["repositoryMetadata"]["defaultBranch"] == "main"
        )
    # Step 3: two default subnets in different zones, ALB, target groups, listeners
    subnets = aws.ec2.describe_subnets(SubnetIds=t.ids["subnets"])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    groups = {g["TargetGroupName"]: g for g in aws.elbv2.describe_target_groups()["TargetGroups"]}
    assert (groups["target-group-1"]["Port"], groups["target-group-1"]["TargetType"]) == (80, "ip")
    assert (groups["target-group-2"]["Port"], groups["target-group-2"]["TargetType"]) == (8080, "ip")
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-1": 100}
    assert forward_weights(aws, t.ids["listener_8080"]) == {"target-group-2": 100}
    # Step 4: cluster and service with the CODE_DEPLOY controller
    service = aws.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert service["launchType"] == "FARGATE" and service["desiredCount"] == 1
    # Step 5: CodeDeploy role, application and deployment group
    attached = aws.iam.list_attached_role_policies(RoleName="CodeDeployECSRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSCodeDeployRoleForECS"]
    assert aws.codedeploy.get_application(applicationName="codedeployapp")["application"]["computePlatform"] == "ECS"
    group = aws.codedeploy.get_deployment_group(
        applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup"
    )
    ready = group["deploymentGroupInfo"]["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]
    assert ready["actionOnTimeout"] == "STOP_DEPLOYMENT"
    # Step 6: the pipeline with two sources and the CodeDeployToECS action's eight keys
    pipeline = aws.codepipeline.get_pipeline(name=PIPELINE)["pipeline"]
    providers = [a["actionTypeId"]["provider"] for s in pipeline["stages"] for a in s["actions"]]
    assert providers == ["CodeCommit" if t.source == "codecommit" else "S3", "ECR", "CodeDeployToECS"]
    assert pipeline["stages"][1]["actions"][0]["configuration"] == DEPLOY_CONFIGURATION


def release_image_push(aws, t: Tutorial, label: str):
    """Tutorial step 7: push an image; the pipeline starts and deploys it to Ready."""
    before = {e["pipelineExecutionId"] for e in executions(aws)}
    digest = t.push_image(label)
    new = [e for e in executions(aws) if e["pipelineExecutionId"] not in before]
    assert [e["trigger"]["triggerType"] for e in new] == ["CloudWatchEvent"]
    execution_id = new[0]["pipelineExecutionId"]
    deployment_id = deployment_of_execution(aws, execution_id)
    wait_status(aws, deployment_id, "Ready")
    return execution_id, deployment_id, digest


@pytest.mark.parametrize("source", ["codecommit", "s3"])
def test_tutorial_flow_releases_a_pushed_image_blue_green(aws, source):
    t = Tutorial(aws, source=source).build()
    assert_tutorial_resources(aws, t)
    (first,) = executions(aws)
    assert first["trigger"]["triggerType"] == "CreatePipeline"
    release(aws, first["pipelineExecutionId"])
    blue = primary_task_set(aws)
    live_group = next(iter(forward_weights(aws, t.ids["listener_80"])))

    execution_id, deployment_id, digest = release_image_push(aws, t, "nginx:2")
    green_group = "target-group-1" if live_group == "target-group-2" else "target-group-2"
    # Ready: the test listener points at the replacement target group; a green task set exists
    assert forward_weights(aws, t.ids["listener_8080"]) == {green_group: 100}
    assert forward_weights(aws, t.ids["listener_80"]) == {live_group: 100}
    labels = {ts["taskSetLabel"]: ts for ts in target(aws, deployment_id)["taskSetsInfo"]}
    assert labels["Green"]["targetGroup"]["name"] == green_group and labels["Green"]["trafficWeight"] == 0
    green = next(ts for ts in task_sets(aws) if ts["externalId"] == deployment_id)
    assert green["status"] == "ACTIVE"
    image = aws.ecs.describe_task_definition(taskDefinition=green["taskDefinition"])["taskDefinition"]
    assert image["containerDefinitions"][0]["image"] == f"{t.ids['repository_uri']}@{digest}"
    assert execution(aws, execution_id)["status"] == "InProgress"

    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    advance_until(aws, lambda: in_termination_wait(aws, deployment_id))
    # termination wait: production on green, green primary, blue still there, deployment still InProgress
    info = deployment(aws, deployment_id)
    assert info["status"] == "InProgress" and info["deploymentStatusMessages"]
    assert forward_weights(aws, t.ids["listener_80"]) == {green_group: 100}
    assert primary_task_set(aws)["id"] == green["id"]
    assert blue["id"] in {ts["id"] for ts in task_sets(aws)}

    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    wait_status(aws, deployment_id, "Succeeded", step=5, limit=60)
    assert [ts["id"] for ts in task_sets(aws)] == [green["id"]]
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Succeeded", step=5, limit=30)
    revisions = {r["name"]: r["revisionId"] for r in execution(aws, execution_id)["artifactRevisions"]}
    assert revisions["MyImage"] == digest
    if source == "s3":
        assert revisions["SourceArtifact"] == t.ids["s3_version"]
    else:
        assert revisions["SourceArtifact"] == t.ids["commit_id"]
    events = [e["lifecycleEventName"] for e in target(aws, deployment_id)["lifecycleEvents"]]
    assert events == [
        "BeforeInstall",
        "Install",
        "AfterInstall",
        "AllowTestTraffic",
        "AfterAllowTestTraffic",
        "BeforeAllowTraffic",
        "AllowTraffic",
        "AfterAllowTraffic",
    ]


def test_stop_with_rollback_during_termination_wait_puts_traffic_back_on_the_original(aws):
    t = Tutorial(aws).build()
    release(aws, executions(aws)[0]["pipelineExecutionId"])
    blue = primary_task_set(aws)
    live_group = next(iter(forward_weights(aws, t.ids["listener_80"])))
    execution_id, deployment_id, _ = release_image_push(aws, t, "nginx:2")
    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    advance_until(aws, lambda: in_termination_wait(aws, deployment_id))
    assert forward_weights(aws, t.ids["listener_80"]) != {live_group: 100}

    answer = aws.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    assert answer["status"] == "Pending"
    stopped = deployment(aws, deployment_id)
    assert stopped["status"] == "Stopped"
    rollback_id = stopped["rollbackInfo"]["rollbackDeploymentId"]
    rollback = wait_status(aws, rollback_id, "Succeeded", step=5, limit=120)
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert forward_weights(aws, t.ids["listener_80"]) == {live_group: 100}
    assert forward_weights(aws, t.ids["listener_8080"]) == {live_group: 100}
    assert [(ts["id"], ts["status"]) for ts in task_sets(aws)] == [(blue["id"], "PRIMARY")]
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Failed", step=5, limit=30)
    with pytest.raises(aws.codedeploy.exceptions.DeploymentAlreadyCompletedException):
        aws.codedeploy.stop_deployment(deploymentId=deployment_id)
