"""The deploy action's 5-day timeout, and fresh IAM roles refused while they propagate."""

import json

import pytest
from botocore.exceptions import ClientError

from sandbox.tests.helpers import (
    PIPELINE,
    advance_until,
    deploy_action_state,
    deployment,
    deployment_of_execution,
    execution,
    executions,
    in_termination_wait,
    seconds_since,
    wait_status,
)
from sandbox.tutorial import ACCOUNT_ID, TASKDEF, TRUST_CODEDEPLOY, TRUST_CODEPIPELINE, TRUST_ECS_TASKS, Tutorial

FIVE_DAYS = 5 * 86400


def error(caught) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def test_the_deploy_action_times_out_after_five_days_and_the_deployment_carries_on(aws):
    Tutorial(aws, ready_wait_minutes=7200).build()  # a ready wait as long as the action's timeout
    execution_id = executions(aws)[0]["pipelineExecutionId"]
    deployment_id = deployment_of_execution(aws, execution_id)
    wait_status(aws, deployment_id, "Ready")
    details = aws.codepipeline.list_action_executions(
        pipelineName=PIPELINE, filter={"pipelineExecutionId": execution_id}
    )["actionExecutionDetails"]
    started = next(d for d in details if d["actionName"] == "Deploy")["startTime"]
    aws.sandbox.advance(FIVE_DAYS - 1 - seconds_since(aws, started))
    assert deploy_action_state(aws)["status"] == "InProgress"
    assert execution(aws, execution_id)["status"] == "InProgress"

    aws.sandbox.advance(1)
    action = deploy_action_state(aws)
    assert action["status"] == "Failed"
    assert "timed out" in action["errorDetails"]["message"] and deployment_id in action["errorDetails"]["message"]
    failed = execution(aws, execution_id)
    assert failed["status"] == "Failed" and "timed out" in failed["statusSummary"]
    assert deployment(aws, deployment_id)["status"] == "Ready"  # CodeDeploy carries on

    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    advance_until(aws, lambda: in_termination_wait(aws, deployment_id), step=5, limit=600)
    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    wait_status(aws, deployment_id, "Succeeded", limit=60)
    assert execution(aws, execution_id)["status"] == "Failed"
    assert deploy_action_state(aws)["status"] == "Failed"


def test_fresh_roles_are_refused_until_they_propagate(aws):
    t = Tutorial(aws)
    t.step1_image()
    t.step3_load_balancer()
    aws.ecs.create_cluster(clusterName="my-cluster")
    assert aws.sandbox.configure(role_propagation_seconds=30)["role_propagation_seconds"] == 30

    # ECS RegisterTaskDefinition: ClientException
    aws.iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=json.dumps(TRUST_ECS_TASKS))
    with pytest.raises(ClientError) as caught:
        aws.ecs.register_task_definition(**TASKDEF)
    assert error(caught) == (
        "ClientException",
        f"ECS was unable to assume the role '{role_arn('ecsTaskExecutionRole')}' that was provided for this task. "
        "Please verify that the role being passed has the proper trust relationship and permissions and that your "
        "IAM user has permissions to pass this role.",
    )
    aws.sandbox.advance(29)
    with pytest.raises(ClientError):
        aws.ecs.register_task_definition(**TASKDEF)
    aws.sandbox.advance(1)
    t.ids["task_definition_arn"] = aws.ecs.register_task_definition(**TASKDEF)["taskDefinition"]["taskDefinitionArn"]

    # ECS CreateService whose task definition names a fresh role: InvalidParameterException
    aws.sandbox.configure(role_propagation_seconds=0)
    aws.iam.create_role(RoleName="freshExecutionRole", AssumeRolePolicyDocument=json.dumps(TRUST_ECS_TASKS))
    fresh = aws.ecs.register_task_definition(**{**TASKDEF, "executionRoleArn": role_arn("freshExecutionRole")})
    aws.sandbox.configure(role_propagation_seconds=30)
    service = {**t.create_service_json(), "taskDefinition": fresh["taskDefinition"]["taskDefinitionArn"]}
    with pytest.raises(ClientError) as caught:
        aws.ecs.create_service(serviceName="my-service", **service)
    code, message = error(caught)
    assert code == "InvalidParameterException" and f"'{role_arn('freshExecutionRole')}'" in message
    aws.sandbox.advance(30)
    aws.ecs.create_service(serviceName="my-service", **t.create_service_json())

    # CodeDeploy CreateDeploymentGroup / UpdateDeploymentGroup: InvalidRoleException
    aws.iam.create_role(RoleName="CodeDeployECSRole", AssumeRolePolicyDocument=json.dumps(TRUST_CODEDEPLOY))
    t.ids["codedeploy_role_arn"] = role_arn("CodeDeployECSRole")
    aws.codedeploy.create_application(applicationName="codedeployapp", computePlatform="ECS")
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.create_deployment_group(**t.deployment_group_definition())
    assert error(caught) == (
        "InvalidRoleException",
        f"AWS CodeDeploy does not have the permissions required to assume the role {role_arn('CodeDeployECSRole')}.",
    )
    aws.sandbox.advance(30)
    aws.codedeploy.create_deployment_group(**t.deployment_group_definition())
    aws.iam.create_role(RoleName="CodeDeployECSRole2", AssumeRolePolicyDocument=json.dumps(TRUST_CODEDEPLOY))
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.update_deployment_group(
            applicationName="codedeployapp",
            currentDeploymentGroupName="codedeploydeplgroup",
            serviceRoleArn=role_arn("CodeDeployECSRole2"),
        )
    assert error(caught)[0] == "InvalidRoleException"

    # CodePipeline CreatePipeline / UpdatePipeline: InvalidStructureException
    name = "AWSCodePipelineServiceRole-us-east-1-MyImagePipeline"
    aws.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_CODEPIPELINE))
    t.ids["codepipeline_role_arn"] = role_arn(name)
    aws.s3.create_bucket(Bucket="codepipeline-us-east-1-artifacts")
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.create_pipeline(pipeline=t.pipeline_definition())
    assert error(caught) == (
        "InvalidStructureException",
        f"CodePipeline is not authorized to perform AssumeRole on role {role_arn(name)}",
    )
    assert aws.codepipeline.list_pipelines()["pipelines"] == []
    aws.sandbox.advance(30)
    aws.codepipeline.create_pipeline(pipeline=t.pipeline_definition())
    aws.iam.create_role(RoleName="pipeline-role-2", AssumeRolePolicyDocument=json.dumps(TRUST_CODEPIPELINE))
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.update_pipeline(pipeline={**t.pipeline_definition(), "roleArn": role_arn("pipeline-role-2")})
    assert error(caught)[0] == "InvalidStructureException"


def test_roles_are_accepted_at_once_by_default(aws):
    assert aws.sandbox.settings()["role_propagation_seconds"] == 0
    Tutorial(aws).build()
    assert [e["trigger"]["triggerType"] for e in executions(aws)] == ["CreatePipeline"]
