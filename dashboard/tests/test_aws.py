import pytest

from dashboard import aws


def test_an_aws_error_keeps_its_code_message_and_request_id(sandbox):
    with pytest.raises(aws.AwsError) as raised:
        aws.call("ecr", "describe_repositories", repositoryNames=["does-not-exist"])
    error = raised.value
    assert error.code == "RepositoryNotFoundException"
    assert "does-not-exist" in error.message
    assert error.operation == "DescribeRepositories"
    assert error.request_id
    assert not error.retryable


def test_throttling_is_worth_retrying(sandbox, settings):
    settings.AWS_MAX_ATTEMPTS = 1
    aws.reset_clients()
    sandbox.set_fault(kind="throttle", rate=1.0, service="sts")
    with pytest.raises(aws.AwsError) as raised:
        aws.call("sts", "get_caller_identity")
    assert raised.value.code == "Throttling"
    assert raised.value.retryable


def test_an_unreachable_endpoint_is_worth_retrying(settings, db):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.AWS_MAX_ATTEMPTS = 1
    settings.AWS_CONNECT_TIMEOUT = 0.5
    aws.reset_clients()
    try:
        with pytest.raises(aws.AwsError) as raised:
            aws.call("sts", "get_caller_identity")
    finally:
        aws.reset_clients()
    assert raised.value.code == "EndpointConnectionError"
    assert raised.value.retryable


def test_clients_are_built_once_per_connection(sandbox):
    first = aws.client("ecs")
    assert aws.client("ecs") is first
    other = aws.client("ecs", aws.Connection(region="eu-west-1", endpoint_url=sandbox.endpoint_url))
    assert other is not first and other.meta.region_name == "eu-west-1"
    assert first.meta.config.retries["mode"] == "adaptive"


def test_listings_are_followed_across_pages(sandbox):
    for index in range(3):
        aws.call("ecr", "create_repository", repositoryName=f"repo-{index}")
    repositories = aws.paginate("ecr", "describe_repositories", "repositories", PaginationConfig={"PageSize": 1})
    assert sorted(r["repositoryName"] for r in repositories) == ["repo-0", "repo-1", "repo-2"]
