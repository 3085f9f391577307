"""sts:AssumeRole as AWS answers it: the role must exist and trust the caller, the duration must fit, and the
session's credentials expire on the sandbox clock, after which AWS's expired-token error answers every call."""

import json
from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import SandboxClients
from sandbox.tutorial import ACCOUNT_ID

OTHER = "222222222222"
MOTO_USER = f"arn:aws:sts::{ACCOUNT_ID}:user/moto"  # who any access key moto did not issue is
EXPIRED = "The security token included in the request is expired"


@pytest.fixture
def other(aws):
    return SandboxClients(aws.sandbox, credentials=aws.sandbox.account_credentials(OTHER))


def trust(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, **extra) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def make_role(clients, name, *statements, **extra) -> str:
    return clients.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(*statements), **extra)["Role"]["Arn"]


def refusal(sts, **kwargs) -> tuple[int, dict]:
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleSessionName="release", **kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]


def denied(caller, role_arn) -> tuple[int, dict]:
    message = f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    return 403, {"Type": "Sender", "Code": "AccessDenied", "Message": message}


def session(aws, role_arn, name="release", **kwargs) -> SandboxClients:
    granted = aws.sts.assume_role(RoleArn=role_arn, RoleSessionName=name, **kwargs)
    return SandboxClients(aws.sandbox, credentials=granted["Credentials"])


def expires_in(aws, granted) -> float:
    """Seconds from the sandbox clock's now to the credentials' Expiration (which has whole seconds)."""
    now = datetime.fromisoformat(aws.sandbox.health()["clock"])
    return (granted["Credentials"]["Expiration"] - now).total_seconds()


def test_a_role_that_does_not_exist_cannot_be_assumed(aws):
    role_arn = f"arn:aws:iam::{OTHER}:role/nobody"
    assert refusal(aws.sts, RoleArn=role_arn) == denied(MOTO_USER, role_arn)


def test_a_trust_policy_naming_another_account_refuses_the_caller(aws, other):
    role_arn = make_role(other, "deployer", allow({"AWS": "333333333333"}))
    assert refusal(aws.sts, RoleArn=role_arn) == denied(MOTO_USER, role_arn)
    role_arn = make_role(other, "for-codedeploy", allow({"Service": "codedeploy.amazonaws.com"}))
    assert refusal(aws.sts, RoleArn=role_arn) == denied(MOTO_USER, role_arn)


def test_the_caller_is_named_by_account_root_or_its_own_arn(aws, other):
    admin = aws.sandbox.account_credentials(OTHER)["arn"]
    for name, principal in (
        ("by-id", {"AWS": ACCOUNT_ID}),
        ("by-root", {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}),
        ("by-list", {"AWS": ["111111111111", ACCOUNT_ID]}),
        ("anyone", "*"),
    ):
        role_arn = make_role(other, name, allow(principal))
        assert session(aws, role_arn).sts.get_caller_identity()["Account"] == OTHER
    role_arn = make_role(aws, "for-their-admin", allow({"AWS": admin}))
    assert session(other, role_arn).sts.get_caller_identity()["Account"] == ACCOUNT_ID
    assert refusal(aws.sts, RoleArn=role_arn) == denied(MOTO_USER, role_arn)


def test_a_deny_statement_wins(aws, other):
    role_arn = make_role(
        other,
        "deployer",
        allow({"AWS": ACCOUNT_ID}),
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    )
    assert refusal(aws.sts, RoleArn=role_arn) == denied(MOTO_USER, role_arn)


@pytest.mark.parametrize("operator", ["StringEquals", "StringLike"])
def test_an_external_id_condition_must_be_met(aws, other, operator):
    condition = {operator: {"sts:ExternalId": "dashboard-7f3a"}}
    role_arn = make_role(other, "deployer", allow({"AWS": ACCOUNT_ID}, Condition=condition))
    assert refusal(aws.sts, RoleArn=role_arn) == denied(MOTO_USER, role_arn)
    assert refusal(aws.sts, RoleArn=role_arn, ExternalId="someone-else") == denied(MOTO_USER, role_arn)
    assert session(aws, role_arn, ExternalId="dashboard-7f3a").sts.get_caller_identity()["Account"] == OTHER


def test_the_caller_s_own_policies_must_allow_assume_role_on_a_role_it_trusts_by_account(aws, other):
    role_arn = make_role(aws, "deployer", allow({"AWS": OTHER}))
    other.iam.create_user(UserName="reader")
    key = other.iam.create_access_key(UserName="reader")["AccessKey"]
    reader = SandboxClients(aws.sandbox, credentials=key)
    assert refusal(reader.sts, RoleArn=role_arn) == denied(f"arn:aws:iam::{OTHER}:user/reader", role_arn)
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    other.iam.put_user_policy(UserName="reader", PolicyName="assume", PolicyDocument=policy)
    assert session(reader, role_arn).sts.get_caller_identity()["Account"] == ACCOUNT_ID


def test_get_caller_identity_names_the_assumed_role_session(aws, other):
    role_arn = make_role(other, "deployer", allow({"AWS": ACCOUNT_ID}))
    role_id = other.iam.get_role(RoleName="deployer")["Role"]["RoleId"]
    identity = session(aws, role_arn, name="dashboard").sts.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/deployer/dashboard"
    assert identity["Account"] == OTHER
    assert identity["UserId"] == f"{role_id}:dashboard"


def test_an_assumed_role_acts_in_the_role_s_account(aws, other):
    role_arn = make_role(other, "deployer", allow({"AWS": ACCOUNT_ID}))
    role = session(aws, role_arn)
    role.iam.create_role(RoleName="made-by-the-session", AssumeRolePolicyDocument=trust())
    role.ecr.create_repository(repositoryName="nginx")
    role.ecs.create_cluster(clusterName="my-cluster")
    vpc = role.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    role.elbv2.create_target_group(Name="target-group-1", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    role.events.put_rule(Name="on-push", EventPattern=json.dumps({"source": ["aws.ecr"]}))
    role.sqs.create_queue(QueueName="release-events")
    role.codepipeline.list_pipelines()

    assert other.iam.get_role(RoleName="made-by-the-session")["Role"]["Arn"].startswith(f"arn:aws:iam::{OTHER}:")
    assert other.ecr.describe_repositories()["repositories"][0]["registryId"] == OTHER
    assert other.ecs.describe_clusters(clusters=["my-cluster"])["clusters"][0]["clusterArn"].split(":")[4] == OTHER
    assert other.elbv2.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"].split(":")[4] == OTHER
    assert other.events.describe_rule(Name="on-push")["Arn"].split(":")[4] == OTHER
    assert other.sqs.get_queue_url(QueueName="release-events")["QueueUrl"].endswith(f"/{OTHER}/release-events")
    assert aws.ecr.describe_repositories()["repositories"] == []
    assert aws.ecs.describe_clusters(clusters=["my-cluster"])["clusters"] == []
    with pytest.raises(ClientError):
        aws.iam.get_role(RoleName="made-by-the-session")
    assert aws.sandbox.calls(by_account=True)[OTHER]["codepipeline"] == {"ListPipelines": 1}


def test_duration_seconds_must_fit_the_api_and_the_role(aws, other):
    role_arn = make_role(other, "deployer", allow({"AWS": ACCOUNT_ID}))
    unchecked = SandboxClients(aws.sandbox).client("sts", parameter_validation=False)
    for seconds, bound in ((899, "greater than or equal to 900"), (43201, "less than or equal to 43200")):
        assert refusal(unchecked, RoleArn=role_arn, DurationSeconds=seconds) == (
            400,
            {
                "Type": "Sender",
                "Code": "ValidationError",
                "Message": f"1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy "
                f"constraint: Member must have value {bound}",
            },
        )
    too_long = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    assert refusal(aws.sts, RoleArn=role_arn, DurationSeconds=3601) == (
        400,
        {"Type": "Sender", "Code": "ValidationError", "Message": too_long},
    )
    long_role = make_role(other, "long-sessions", allow({"AWS": ACCOUNT_ID}), MaxSessionDuration=7200)
    granted = aws.sts.assume_role(RoleArn=long_role, RoleSessionName="release", DurationSeconds=7200)
    assert 7199 < expires_in(aws, granted) <= 7200
    assert refusal(aws.sts, RoleArn=long_role, DurationSeconds=7201)[1]["Message"] == too_long


def test_role_chaining_allows_at_most_an_hour(aws, other):
    first = make_role(other, "first", allow({"AWS": ACCOUNT_ID}), MaxSessionDuration=43200)
    second = make_role(other, "second", allow({"AWS": first}), MaxSessionDuration=43200)
    chained = session(aws, first, DurationSeconds=43200)
    assert refusal(chained.sts, RoleArn=second, DurationSeconds=3601) == (
        400,
        {
            "Type": "Sender",
            "Code": "ValidationError",
            "Message": "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role "
            "chaining.",
        },
    )
    identity = session(chained, second, name="hop", DurationSeconds=3600).sts.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/second/hop"
    third = make_role(other, "third", allow({"AWS": second}))
    assert refusal(chained.sts, RoleArn=third) == denied(f"arn:aws:sts::{OTHER}:assumed-role/first/release", third)


def test_an_expired_session_is_refused_and_a_new_one_works(aws, other):
    role_arn = make_role(other, "deployer", allow({"AWS": ACCOUNT_ID}))
    granted = aws.sts.assume_role(RoleArn=role_arn, RoleSessionName="release", DurationSeconds=900)
    assert 899 < expires_in(aws, granted) <= 900
    role = SandboxClients(aws.sandbox, credentials=granted["Credentials"])
    role.ecr.create_repository(repositoryName="nginx")
    aws.sandbox.advance(899)
    assert role.ecr.describe_repositories()["repositories"][0]["repositoryName"] == "nginx"
    aws.sandbox.advance(1)

    answers = {
        "sts": lambda: role.sts.get_caller_identity(),
        "iam": lambda: role.iam.list_roles(),
        "elbv2": lambda: role.elbv2.describe_load_balancers(),
        "ecs": lambda: role.ecs.list_clusters(),
        "ecr": lambda: role.ecr.describe_repositories(),
        "codepipeline": lambda: role.codepipeline.list_pipelines(),
        "codedeploy": lambda: role.codedeploy.list_applications(),
        "s3": lambda: role.s3.list_buckets(),
        "ec2": lambda: role.ec2.describe_vpcs(),
    }
    refused = {}
    for service, call in answers.items():
        with pytest.raises(ClientError) as caught:
            call()
        response = caught.value.response
        refused[service] = (response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"])
        assert response["Error"]["Message"] in (EXPIRED, "The provided token has expired.", "Request has expired.")
    assert refused == {
        "sts": (403, "ExpiredToken"),
        "iam": (403, "ExpiredToken"),
        "elbv2": (403, "ExpiredToken"),
        "ecs": (400, "ExpiredTokenException"),
        "ecr": (400, "ExpiredTokenException"),
        "codepipeline": (400, "ExpiredTokenException"),
        "codedeploy": (400, "ExpiredTokenException"),
        "s3": (400, "ExpiredToken"),
        "ec2": (400, "RequestExpired"),
    }
    assert aws.sandbox.calls(by_account=True)[OTHER]["ecr"] == {"CreateRepository": 1, "DescribeRepositories": 2}

    fresh = session(aws, role_arn)
    assert fresh.ecr.describe_repositories()["repositories"][0]["repositoryName"] == "nginx"


def test_refused_assume_role_calls_are_counted(aws):
    refusal(aws.sts, RoleArn=f"arn:aws:iam::{OTHER}:role/nobody")
    assert aws.sandbox.calls(by_account=True) == {ACCOUNT_ID: {"sts": {"AssumeRole": 1}}}


def test_a_session_a_reset_forgot_is_refused_as_an_unknown_key(aws, other):
    """AWS refuses an access key it never issued; moto would take it as the default account's."""
    role = session(aws, make_role(other, "deployer", allow({"AWS": ACCOUNT_ID})))
    assert role.ecs.list_clusters()["clusterArns"] == []
    aws.sandbox.reset()
    refused = {}
    for service, call in {
        "sts": lambda: role.sts.get_caller_identity(),
        "ecs": lambda: role.ecs.list_clusters(),
        "codepipeline": lambda: role.codepipeline.list_pipelines(),
    }.items():
        with pytest.raises(ClientError) as caught:
            call()
        refused[service] = caught.value.response["Error"]["Code"]
    assert refused == {
        "sts": "InvalidClientTokenId",
        "ecs": "UnrecognizedClientException",
        "codepipeline": "UnrecognizedClientException",
    }
    assert aws.ecs.list_clusters()["clusterArns"] == []  # the static key "testing" still works
