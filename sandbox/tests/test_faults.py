"""Faults and the call counter of the control endpoint."""

import time

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import SandboxControlError
from sandbox.tutorial import Tutorial


def test_throttling_reaches_boto3_as_throttling_exception(aws):
    aws.sandbox.set_fault(kind="throttle", rate=1.0, service="codedeploy", operation="ListApplications")
    no_retries = aws.client("codedeploy", retries={"total_max_attempts": 1, "mode": "standard"})
    with pytest.raises(ClientError) as caught:
        no_retries.list_applications()
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert no_retries.list_deployment_configs()["deploymentConfigsList"]  # other operations are not throttled


def test_a_share_of_throttled_calls_is_exact_and_botocore_retries_them(aws):
    aws.sandbox.set_fault(kind="throttle", rate=0.5, service="ecs")
    no_retries = aws.client("ecs", retries={"total_max_attempts": 1, "mode": "standard"})
    outcomes = []
    for _ in range(4):
        try:
            no_retries.list_clusters()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    assert outcomes == ["ok", "ThrottlingException", "ok", "ThrottlingException"]
    retrying = aws.client("ecs", retries={"total_max_attempts": 3, "mode": "standard"})
    answer = retrying.list_clusters()
    assert answer["ResponseMetadata"]["RetryAttempts"] in (0, 1)


def test_query_protocol_services_are_throttled_with_their_own_code(aws):
    aws.sandbox.set_fault(kind="throttle", service="elbv2")
    no_retries = aws.client("elbv2", retries={"total_max_attempts": 1, "mode": "standard"})
    with pytest.raises(ClientError) as caught:
        no_retries.describe_load_balancers()
    assert caught.value.response["Error"]["Code"] == "Throttling"


def test_latency_is_added_to_matching_calls(aws):
    aws.sandbox.set_fault(kind="latency", ms=300, service="sts")
    started = time.monotonic()
    aws.sts.get_caller_identity()
    assert time.monotonic() - started >= 0.3
    aws.sandbox.clear_faults()
    assert aws.sandbox.faults() == []


def test_bad_fault_specs_are_refused(aws):
    with pytest.raises(SandboxControlError, match="kind must be one of"):
        aws.sandbox.set_fault(kind="earthquake")
    with pytest.raises(SandboxControlError, match="lifecycle_event"):
        aws.sandbox.set_fault(kind="deployment_failure", lifecycle_event="Deploy")


def test_calls_count_what_clients_sent_not_what_the_emulation_did(aws):
    t = Tutorial(aws, ready_wait_minutes=None, termination_wait_minutes=0).build(pipeline=False)
    before = aws.sandbox.calls()
    deployment_id = t.create_deployment()
    aws.sandbox.advance(120)
    aws.codedeploy.get_deployment(deploymentId=deployment_id)
    aws.codedeploy.get_deployment(deploymentId=deployment_id)
    calls = aws.sandbox.calls()
    assert calls["codedeploy"]["GetDeployment"] == 2
    assert calls["codedeploy"]["CreateDeployment"] == 1
    # the deployment created task sets and moved listeners, but those internal calls are not counted
    assert calls["ecs"] == before["ecs"]
    assert "ModifyListener" not in calls["elbv2"]
