import pytest

from dashboard import aws
from dashboard.tests.workers import wait_for
from sandbox.testing import SandboxClients


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


def calls_of(sandbox, service, operation):
    return sandbox.calls().get(service, {}).get(operation, 0)


def test_a_change_whose_answer_times_out_is_sent_once_and_said_unknown_while_a_read_is_retried(sandbox, settings):
    boto = SandboxClients(sandbox)
    aws.call("ecs", "describe_clusters")  # the sandbox's first ECS call is a slow one
    settings.AWS_MAX_ATTEMPTS, settings.AWS_READ_TIMEOUT = 3, 1
    aws.reset_clients()
    sandbox.set_fault(kind="latency", service="ecs", operation="CreateCluster", ms=2500)
    with pytest.raises(aws.AwsError) as raised:
        aws.call("ecs", "create_cluster", clusterName="once")
    assert (raised.value.code, raised.value.outcome_unknown) == ("ReadTimeoutError", True)
    # AWS applies it all the same, once its delay is over (and before the next test's faults are set); on a loaded
    # machine the sandbox may read the request only after the client gave up, so it is counted once it applied.
    wait_for(lambda: boto.ecs.describe_clusters(clusters=["once"])["clusters"], what="the timed-out create to apply")
    assert calls_of(sandbox, "ecs", "CreateCluster") == 1

    reads = calls_of(sandbox, "ecs", "DescribeClusters")
    sandbox.set_fault(kind="latency", service="ecs", operation="DescribeClusters", ms=2500, times=1)
    assert "clusters" in aws.call("ecs", "describe_clusters", clusters=["once"])
    assert calls_of(sandbox, "ecs", "DescribeClusters") == reads + 2


def test_a_throttled_change_is_sent_again_and_a_change_with_an_idempotency_token_is_retried(sandbox, settings):
    settings.AWS_MAX_ATTEMPTS = 3
    aws.reset_clients()
    sandbox.set_fault(kind="throttle", service="ecs", operation="CreateCluster", times=1)
    assert aws.call("ecs", "create_cluster", clusterName="after-throttle")["cluster"]["clusterName"]
    assert calls_of(sandbox, "ecs", "CreateCluster") == 2
    assert aws.is_repeatable("codepipeline", "start_pipeline_execution")  # clientRequestToken
    assert not aws.is_repeatable("codedeploy", "continue_deployment")
