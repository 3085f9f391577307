import json
import urllib.request

import pytest
from botocore.exceptions import ClientError


def test_health_says_it_is_the_sandbox(aws):
    health = aws.sandbox.health()
    assert health["sandbox"] is True
    assert health["manual_clock"] is True
    assert "clock" in health and "version" in health


def test_moto_services_answer_through_the_sandbox(aws):
    assert aws.sts.get_caller_identity()["Account"] == "123456789012"
    aws.ecr.create_repository(repositoryName="nginx")
    assert [r["repositoryName"] for r in aws.ecr.describe_repositories()["repositories"]] == ["nginx"]
    subnets = aws.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2


def test_reset_forgets_moto_resources(aws):
    aws.ecr.create_repository(repositoryName="nginx")
    aws.sandbox.reset()
    assert aws.ecr.describe_repositories()["repositories"] == []


def test_managed_iam_policies_can_be_attached(aws):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    aws.iam.create_role(RoleName="CodeDeployECSRole", AssumeRolePolicyDocument=json.dumps(trust))
    aws.iam.attach_role_policy(
        RoleName="CodeDeployECSRole", PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
    )
    attached = aws.iam.list_attached_role_policies(RoleName="CodeDeployECSRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSCodeDeployRoleForECS"]


def test_calls_are_counted_per_service_and_operation(aws):
    aws.sts.get_caller_identity()
    aws.ecr.describe_repositories()
    aws.ecr.describe_repositories()
    calls = aws.sandbox.calls()
    assert calls["sts"] == {"GetCallerIdentity": 1}
    assert calls["ecr"] == {"DescribeRepositories": 2}


@pytest.mark.parametrize("service", ["codedeploy", "codepipeline", "codecommit"])
def test_unknown_operation_of_an_emulated_service_is_a_json_400(aws, service):
    prefix = {
        "codedeploy": "CodeDeploy_20141006",
        "codepipeline": "CodePipeline_20150709",
        "codecommit": "CodeCommit_20150413",
    }[service]
    request = urllib.request.Request(
        aws.endpoint_url + "/",
        data=b"{}",
        headers={
            "X-Amz-Target": f"{prefix}.NoSuchThing",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host, Signature=x",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert json.loads(caught.value.read())["__type"] == "UnknownOperationException"


def test_an_operation_the_sandbox_does_not_emulate_fails_fast_without_retries(aws):
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.list_on_premises_instances()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_cbor_codec_round_trips_what_botocore_sends():
    from datetime import UTC, datetime

    from sandbox import cbor

    value = {
        "text": "héllo",
        "n": [0, 23, 24, 255, 65536, 2**40, -1, -1000],
        "f": 1.5,
        "flags": [True, False, None],
        "blob": b"\x00\x01",
        "when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "nested": {"list": [{"a": 1}]},
    }
    assert cbor.decode(cbor.encode(value)) == value
    # indefinite-length map and string, as some encoders send them
    assert cbor.decode(b"\xbf\x61a\x7f\x62bc\x61d\xff\xff") == {"a": "bcd"}


def test_control_routes_answer_json_errors(aws):
    request = urllib.request.Request(
        aws.endpoint_url + "/_sandbox/clock/advance", data=b'{"seconds": -1}', method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert "seconds" in json.loads(caught.value.read())["error"]
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(aws.endpoint_url + "/_sandbox/nothing")
    assert caught.value.code == 404
