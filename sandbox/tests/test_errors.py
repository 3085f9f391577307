"""Every emulated operation answers a bad request with AWS's error code, as JSON/CBOR 400, at once."""

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from sandbox.api import service_model

UUID = "11111111-2222-3333-4444-555555555555"
MISSING_DEPLOYMENT = "d-AAAAAAAAA"
BAD_REQUESTS = [
    ("codedeploy", "create_application", {"applicationName": "bad name!"}, "InvalidApplicationNameException"),
    ("codedeploy", "get_application", {"applicationName": "nope"}, "ApplicationDoesNotExistException"),
    ("codedeploy", "batch_get_applications", {"applicationNames": ["nope"]}, "ApplicationDoesNotExistException"),
    ("codedeploy", "update_application", {"applicationName": "nope"}, "ApplicationDoesNotExistException"),
    ("codedeploy", "delete_application", {"applicationName": "bad name!"}, "InvalidApplicationNameException"),
    (
        "codedeploy",
        "create_deployment_group",
        {"applicationName": "nope", "deploymentGroupName": "g", "serviceRoleArn": "arn:aws:iam::123456789012:role/r"},
        "ApplicationDoesNotExistException",
    ),
    (
        "codedeploy",
        "get_deployment_group",
        {"applicationName": "nope", "deploymentGroupName": "g"},
        "ApplicationDoesNotExistException",
    ),
    ("codedeploy", "list_deployment_groups", {"applicationName": "nope"}, "ApplicationDoesNotExistException"),
    (
        "codedeploy",
        "update_deployment_group",
        {"applicationName": "nope", "currentDeploymentGroupName": "g"},
        "ApplicationDoesNotExistException",
    ),
    (
        "codedeploy",
        "delete_deployment_group",
        {"applicationName": "app", "deploymentGroupName": "bad name!"},
        "InvalidDeploymentGroupNameException",
    ),
    ("codedeploy", "create_deployment", {"applicationName": "nope"}, "ApplicationDoesNotExistException"),
    ("codedeploy", "get_deployment", {"deploymentId": "not-an-id"}, "InvalidDeploymentIdException"),
    ("codedeploy", "get_deployment", {"deploymentId": MISSING_DEPLOYMENT}, "DeploymentDoesNotExistException"),
    ("codedeploy", "batch_get_deployments", {"deploymentIds": ["x"]}, "InvalidDeploymentIdException"),
    (
        "codedeploy",
        "list_deployments",
        {"applicationName": "nope", "deploymentGroupName": "g"},
        "ApplicationDoesNotExistException",
    ),
    ("codedeploy", "list_deployments", {"applicationName": "app"}, "DeploymentGroupNameRequiredException"),
    ("codedeploy", "continue_deployment", {"deploymentId": MISSING_DEPLOYMENT}, "DeploymentDoesNotExistException"),
    (
        "codedeploy",
        "continue_deployment",
        {"deploymentId": MISSING_DEPLOYMENT, "deploymentWaitType": "SOON"},
        "InvalidDeploymentWaitTypeException",
    ),
    ("codedeploy", "stop_deployment", {"deploymentId": "bad"}, "InvalidDeploymentIdException"),
    (
        "codedeploy",
        "get_deployment_target",
        {"deploymentId": MISSING_DEPLOYMENT, "targetId": "c:s"},
        "DeploymentDoesNotExistException",
    ),
    ("codedeploy", "list_deployment_targets", {"deploymentId": MISSING_DEPLOYMENT}, "DeploymentDoesNotExistException"),
    (
        "codedeploy",
        "batch_get_deployment_targets",
        {"deploymentId": MISSING_DEPLOYMENT, "targetIds": ["c:s"]},
        "DeploymentDoesNotExistException",
    ),
    ("codedeploy", "get_deployment_config", {"deploymentConfigName": "nope"}, "DeploymentConfigDoesNotExistException"),
    (
        "codedeploy",
        "create_deployment_config",
        {"deploymentConfigName": "CodeDeployDefault.Mine", "computePlatform": "ECS"},
        "InvalidDeploymentConfigNameException",
    ),
    (
        "codedeploy",
        "create_deployment_config",
        {
            "deploymentConfigName": "mine",
            "computePlatform": "ECS",
            "trafficRoutingConfig": {
                "type": "TimeBasedLinear",
                "timeBasedLinear": {"linearPercentage": 0, "linearInterval": 1},
            },
        },
        "InvalidTrafficRoutingConfigurationException",
    ),
    (
        "codedeploy",
        "delete_deployment_config",
        {"deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce"},
        "InvalidOperationException",
    ),
    (
        "codedeploy",
        "tag_resource",
        {"ResourceArn": "nope", "Tags": [{"Key": "a", "Value": "b"}]},
        "InvalidArnException",
    ),
    ("codepipeline", "get_pipeline", {"name": "nope"}, "PipelineNotFoundException"),
    ("codepipeline", "get_pipeline_state", {"name": "nope"}, "PipelineNotFoundException"),
    ("codepipeline", "start_pipeline_execution", {"name": "nope"}, "PipelineNotFoundException"),
    ("codepipeline", "list_pipeline_executions", {"pipelineName": "nope"}, "PipelineNotFoundException"),
    (
        "codepipeline",
        "get_pipeline_execution",
        {"pipelineName": "nope", "pipelineExecutionId": UUID},
        "PipelineNotFoundException",
    ),
    (
        "codepipeline",
        "stop_pipeline_execution",
        {"pipelineName": "nope", "pipelineExecutionId": UUID},
        "PipelineNotFoundException",
    ),
    (
        "codepipeline",
        "retry_stage_execution",
        {"pipelineName": "nope", "stageName": "Deploy", "pipelineExecutionId": UUID, "retryMode": "FAILED_ACTIONS"},
        "PipelineNotFoundException",
    ),
    ("codepipeline", "list_action_executions", {"pipelineName": "nope"}, "PipelineNotFoundException"),
    (
        "codepipeline",
        "create_pipeline",
        {"pipeline": {"name": "bad name!", "roleArn": "arn:aws:iam::123456789012:role/r", "stages": []}},
        "ValidationException",
    ),
    (
        "codepipeline",
        "update_pipeline",
        {"pipeline": {"name": "bad name!", "roleArn": "arn:aws:iam::123456789012:role/r", "stages": []}},
        "ValidationException",
    ),
    ("codepipeline", "delete_pipeline", {"name": "bad name!"}, "ValidationException"),
    ("codepipeline", "list_pipelines", {"nextToken": "not-a-token"}, "InvalidNextTokenException"),
    (
        "codepipeline",
        "put_approval_result",
        {
            "pipelineName": "nope",
            "stageName": "s",
            "actionName": "a",
            "result": {"summary": "", "status": "Approved"},
            "token": UUID,
        },
        "PipelineNotFoundException",
    ),
    ("codepipeline", "list_tags_for_resource", {"resourceArn": "nope"}, "InvalidArnException"),
    (
        "codepipeline",
        "tag_resource",
        {"resourceArn": "arn:aws:codepipeline:us-east-1:123456789012:nope", "tags": [{"key": "a", "value": "b"}]},
        "ResourceNotFoundException",
    ),
    ("codecommit", "create_repository", {"repositoryName": "bad name!"}, "InvalidRepositoryNameException"),
    ("codecommit", "get_repository", {"repositoryName": "nope"}, "RepositoryDoesNotExistException"),
    ("codecommit", "delete_repository", {"repositoryName": "bad name!"}, "InvalidRepositoryNameException"),
    ("codecommit", "list_repositories", {"sortBy": "size"}, "InvalidSortByException"),
    (
        "codecommit",
        "put_file",
        {"repositoryName": "nope", "branchName": "main", "fileContent": b"x", "filePath": "a"},
        "RepositoryDoesNotExistException",
    ),
    (
        "codecommit",
        "create_commit",
        {"repositoryName": "nope", "branchName": "main"},
        "RepositoryDoesNotExistException",
    ),
    ("codecommit", "get_file", {"repositoryName": "nope", "filePath": "a"}, "RepositoryDoesNotExistException"),
    ("codecommit", "get_folder", {"repositoryName": "nope", "folderPath": "/"}, "RepositoryDoesNotExistException"),
    ("codecommit", "get_branch", {"repositoryName": "nope", "branchName": "main"}, "RepositoryDoesNotExistException"),
    ("codecommit", "get_commit", {"repositoryName": "nope", "commitId": "abc"}, "RepositoryDoesNotExistException"),
    (
        "codecommit",
        "create_branch",
        {"repositoryName": "nope", "branchName": "b", "commitId": "abc"},
        "RepositoryDoesNotExistException",
    ),
    ("codecommit", "list_branches", {"repositoryName": "nope"}, "RepositoryDoesNotExistException"),
]
GENERIC = {"ValidationException", "SerializationException", "UnknownOperationException"}


@pytest.mark.parametrize(
    ("service", "operation", "params", "code"),
    BAD_REQUESTS,
    ids=[f"{s}.{o}-{c}" for s, o, _, c in BAD_REQUESTS],
)
def test_bad_request_answers_the_aws_error_code(aws, service, operation, params, code):
    client = getattr(aws, service)
    with pytest.raises(ClientError) as caught:
        getattr(client, operation)(**params)
    response = caught.value.response
    assert response["Error"]["Code"] == code
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
    op_name = client.meta.method_to_api_mapping[operation]
    declared = {e.name for e in service_model(service).operation_model(op_name).error_shapes}
    assert code in declared | GENERIC


EMULATED = {
    "codedeploy": "CodeDeploy_20141006",
    "codepipeline": "CodePipeline_20150709",
    "codecommit": "CodeCommit_20150413",
}


def raw_json_call(endpoint_url, service, operation, body: dict):
    request = urllib.request.Request(
        endpoint_url + "/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"{EMULATED[service]}.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host, Signature=x",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], json.loads(exc.read())


@pytest.mark.parametrize("service", sorted(EMULATED))
def test_every_operation_given_an_empty_json_request_answers_json_never_a_500(aws, service):
    model = service_model(service)
    for operation in model.operation_names:
        status, content_type, body = raw_json_call(aws.endpoint_url, service, operation, {})
        assert status in (200, 400), (operation, status, body)
        assert content_type == "application/x-amz-json-1.1"
        if status == 400:
            assert body["__type"].endswith("Exception") and body["message"], (operation, body)
            op = model.operation_model(operation)
            declared = {e.name for e in op.error_shapes} | GENERIC
            assert body["__type"] in declared, (operation, body)


def test_the_json_protocol_works_as_well_as_cbor(aws):
    status, _, body = raw_json_call(
        aws.endpoint_url, "codedeploy", "CreateApplication", {"applicationName": "app", "computePlatform": "ECS"}
    )
    assert status == 200 and body["applicationId"]
    status, _, body = raw_json_call(aws.endpoint_url, "codedeploy", "GetApplication", {"applicationName": "app"})
    assert body["application"]["computePlatform"] == "ECS"
    assert isinstance(body["application"]["createTime"], float)
    assert aws.codedeploy.get_application(applicationName="app")["application"]["applicationName"] == "app"
