"""Several AWS accounts side by side: each has its own CodePipeline, CodeDeploy and CodeCommit as well as moto's
services, with its own account in every ARN, and the call log says which account each call came in as."""

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import SandboxClients, SandboxControlError
from sandbox.tutorial import ACCOUNT_ID, Tutorial

from .test_state_events import drain, queue_with_rule

OTHER = "222222222222"


@pytest.fixture
def other(aws):
    """boto3 clients of an administrator of another account."""
    return SandboxClients(aws.sandbox, credentials=aws.sandbox.account_credentials(OTHER))


def error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]


def test_the_accounts_route_makes_an_administrator_once(aws):
    first = aws.sandbox.account_credentials(OTHER)
    assert first["account_id"] == OTHER
    assert first["arn"] == f"arn:aws:iam::{OTHER}:user/sandbox-admin"
    assert aws.sandbox.account_credentials(OTHER) == first
    other = SandboxClients(aws.sandbox, credentials=first)
    assert other.sts.get_caller_identity()["Arn"] == first["arn"]
    attached = other.iam.list_attached_user_policies(UserName="sandbox-admin")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    default = aws.sandbox.account_credentials(ACCOUNT_ID)
    assert default["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/sandbox-admin"
    assert default["access_key_id"] != first["access_key_id"]


@pytest.mark.parametrize("account_id", ["22222222222", "2222222222223", "abcdefghijkl", 222222222222, None])
def test_the_accounts_route_wants_twelve_digits(aws, account_id):
    with pytest.raises(SandboxControlError, match="400"):
        aws.sandbox.account_credentials(account_id)


def test_the_accounts_route_is_listed(aws):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{aws.endpoint_url}/_sandbox/accounts")  # noqa: S310 - the local sandbox
    assert caught.value.code == 405
    assert "/_sandbox/accounts" in json.loads(caught.value.read())["routes"]


def test_two_accounts_run_the_tutorial_side_by_side_without_seeing_each_other(aws, other):
    mine = Tutorial(aws, ready_wait_minutes=None, termination_wait_minutes=0).build()
    theirs = Tutorial(other, ready_wait_minutes=None, termination_wait_minutes=0).build()
    queue = queue_with_rule(other)
    mine.settle()
    theirs.settle()

    deployments = {}
    for clients, account in ((aws, ACCOUNT_ID), (other, OTHER)):
        pipeline = clients.codepipeline.get_pipeline(name="MyImagePipeline")
        assert pipeline["metadata"]["pipelineArn"] == f"arn:aws:codepipeline:us-east-1:{account}:MyImagePipeline"
        runs = clients.codepipeline.list_pipeline_executions(pipelineName="MyImagePipeline")
        assert [e["status"] for e in runs["pipelineExecutionSummaries"]] == ["Succeeded"]
        (deployment_id,) = clients.codedeploy.list_deployments(
            applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup"
        )["deployments"]
        deployments[account] = deployment_id
        target = clients.codedeploy.get_deployment_target(deploymentId=deployment_id, targetId="my-cluster:my-service")
        assert target["deploymentTarget"]["ecsTarget"]["targetArn"] == (
            f"arn:aws:ecs:us-east-1:{account}:service/my-cluster/my-service"
        )
        repository = clients.codecommit.get_repository(repositoryName="MyDemoRepo")["repositoryMetadata"]
        assert (repository["accountId"], repository["Arn"]) == (
            account,
            f"arn:aws:codecommit:us-east-1:{account}:MyDemoRepo",
        )
        image = clients.codepipeline.list_action_executions(pipelineName="MyImagePipeline")["actionExecutionDetails"]
        (source,) = [a for a in image if a["actionName"] == "Image"]
        assert source["output"]["outputVariables"]["RegistryId"] == account
    assert deployments[ACCOUNT_ID] != deployments[OTHER]

    missing = error(other.codedeploy.get_deployment, deploymentId=deployments[ACCOUNT_ID])
    assert missing["Code"] == "DeploymentDoesNotExistException"
    execution_id = aws.codepipeline.list_pipeline_executions(pipelineName="MyImagePipeline")[
        "pipelineExecutionSummaries"
    ][0]["pipelineExecutionId"]
    missing = error(
        other.codepipeline.get_pipeline_execution, pipelineName="MyImagePipeline", pipelineExecutionId=execution_id
    )
    assert missing["Code"] == "PipelineExecutionNotFoundException"

    theirs.push_image("nginx:2")  # starts their pipeline, through their EventBridge rule only
    theirs.settle()
    for clients, count in ((aws, 1), (other, 2)):
        runs = clients.codepipeline.list_pipeline_executions(pipelineName="MyImagePipeline")
        assert len(runs["pipelineExecutionSummaries"]) == count
    events = drain(other, queue)
    assert events and all(e["account"] == OTHER for e in events)
    pipeline_events = [e for e in events if e["source"] == "aws.codepipeline"]
    assert {r for e in pipeline_events for r in e["resources"]} == {
        f"arn:aws:codepipeline:us-east-1:{OTHER}:MyImagePipeline"
    }

    other.codepipeline.delete_pipeline(name="MyImagePipeline")
    gone = error(other.codepipeline.get_pipeline, name="MyImagePipeline")
    assert gone == {
        "Code": "PipelineNotFoundException",
        "Message": f"Account '{OTHER}' does not have a pipeline with name 'MyImagePipeline'",
    }
    assert aws.codepipeline.get_pipeline(name="MyImagePipeline")["pipeline"]["name"] == "MyImagePipeline"


def test_the_call_log_says_which_account_each_call_came_in_as(aws, other):
    aws.ecr.describe_repositories()
    other.ecr.describe_repositories()
    other.codepipeline.list_pipelines()
    with pytest.raises(ClientError):
        other.codedeploy.get_application(applicationName="nope")
    assert aws.sandbox.calls(by_account=True) == {
        ACCOUNT_ID: {"ecr": {"DescribeRepositories": 1}},
        OTHER: {
            "codedeploy": {"GetApplication": 1},
            "codepipeline": {"ListPipelines": 1},
            "ecr": {"DescribeRepositories": 1},
        },
    }
    assert aws.sandbox.calls() == {
        "codedeploy": {"GetApplication": 1},
        "codepipeline": {"ListPipelines": 1},
        "ecr": {"DescribeRepositories": 2},
    }
