"""The permissions pre-flight against the sandbox's IAM: the product's own credentials, simulated."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dashboard import aws, iam_policy, permissions
from dashboard.aws_operations import CONSOLE, PARTS, WIZARD, actions
from dashboard.models import ConnectionCheck
from dashboard.tests.test_connection_check import wait_until_finished
from sandbox.testing import SandboxClients

ACCOUNT = "123456789012"
READ_ONLY = {"Effect": "Allow", "Action": ["codepipeline:Get*", "codepipeline:List*", "sts:*"], "Resource": "*"}
SIMULATE = {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": "*"}


@pytest.fixture
def sandbox_iam(sandbox):
    return SandboxClients(sandbox).iam


@pytest.fixture
def signed_in_as_user(sandbox_iam, monkeypatch):
    """Make an IAM user in the sandbox with these policy statements, and point the product's credentials at it."""

    def make(name, *statements, managed=()):
        sandbox_iam.create_user(UserName=name)
        if statements:
            document = {"Version": "2012-10-17", "Statement": list(statements)}
            sandbox_iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(document))
        for index, document in enumerate(managed):
            arn = sandbox_iam.create_policy(PolicyName=f"{name}-{index}", PolicyDocument=json.dumps(document))
            sandbox_iam.attach_user_policy(UserName=name, PolicyArn=arn["Policy"]["Arn"])
        key = sandbox_iam.create_access_key(UserName=name)["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        aws.reset_clients()
        return f"arn:aws:iam::{ACCOUNT}:user/{name}"

    yield make
    aws.reset_clients()


def run_preflight():
    return permissions.preflight(aws.call("sts", "get_caller_identity"))


def test_a_caller_arn_names_the_entity_whose_policies_decide():
    assert permissions.policy_source("arn:aws:sts::111122223333:assumed-role/deployer/session-1") == (
        "arn:aws:iam::111122223333:role/deployer"
    )
    assert permissions.policy_source("arn:aws:iam::111122223333:user/ci") == "arn:aws:iam::111122223333:user/ci"
    assert permissions.policy_source("arn:aws:iam::111122223333:root") == ""
    assert permissions.policy_source("arn:aws:sts::111122223333:federated-user/bob") == ""


def test_a_limited_user_sees_each_denied_action_by_part(signed_in_as_user):
    arn = signed_in_as_user("limited", READ_ONLY, SIMULATE)
    report = run_preflight()
    assert report["method"] == "simulation" and report["source_arn"] == arn
    console = report["denied"][CONSOLE]
    assert "codedeploy:StopDeployment" in console and "iam:PassRole" not in console
    assert "iam:PassRole" in report["denied"][WIZARD]
    assert "codepipeline:GetPipelineState" not in console and "iam:SimulatePrincipalPolicy" not in console
    assert "ecs:CreateCluster" in report["denied"][WIZARD] and "ecs:CreateCluster" not in console
    assert report["asked"] == len({a for part in PARTS for a in actions(part)})
    (operations,) = [s for s in report["snippets"][CONSOLE] if s["Sid"] == "Operations"]
    assert "codedeploy:StopDeployment" in operations["Action"]
    assert "codepipeline:GetPipelineState" not in operations["Action"]


def test_the_printed_console_policy_is_enough_for_the_console_and_not_for_the_wizard(signed_in_as_user):
    signed_in_as_user("console-only", managed=iam_policy.documents([CONSOLE], account=ACCOUNT))
    report = run_preflight()
    assert report["denied"][CONSOLE] == []
    assert "iam:CreateRole" in report["denied"][WIZARD] and "iam:PassRole" in report["denied"][WIZARD]


def test_the_printed_policy_for_both_allows_every_action(signed_in_as_user):
    signed_in_as_user("everything", managed=iam_policy.documents(PARTS, account=ACCOUNT))
    report = run_preflight()
    assert report["denied"] == {CONSOLE: [], WIZARD: []}
    assert permissions.denied_count(report) == 0


def test_pass_role_to_the_wrong_service_is_denied(signed_in_as_user):
    documents = iam_policy.documents([WIZARD], account=ACCOUNT)
    for document in documents:
        for statement in document["Statement"]:
            if statement["Action"] == "iam:PassRole":
                statement["Condition"]["StringEquals"]["iam:PassedToService"] = "lambda.amazonaws.com"
    signed_in_as_user("wrong-service", managed=documents)
    assert run_preflight()["denied"][WIZARD] == ["iam:PassRole"]


def test_an_explicit_deny_wins_over_an_allow(signed_in_as_user):
    deny = {"Effect": "Deny", "Action": "codedeploy:Stop*", "Resource": "*"}
    signed_in_as_user("denied", deny, managed=iam_policy.documents(PARTS, account=ACCOUNT))
    report = run_preflight()
    assert report["denied"][CONSOLE] == ["codedeploy:StopDeployment"]


def test_without_leave_to_simulate_it_says_so_and_probes_instead(signed_in_as_user):
    signed_in_as_user("no-simulate", READ_ONLY)
    report = run_preflight()
    assert report["method"] == "probes"
    assert report["simulation_error"]["code"] == "AccessDenied"
    assert "iam:SimulatePrincipalPolicy" in report["simulation_error"]["message"]
    assert [p["operation"] for p in report["probes"]] == [
        "codepipeline.list_pipelines",
        "codedeploy.list_applications",
        "ecs.list_clusters",
        "ecr.describe_repositories",
    ]


def test_the_sandbox_default_identity_is_an_administrator(sandbox):
    report = run_preflight()
    assert report["arn"] == f"arn:aws:sts::{ACCOUNT}:user/moto"
    assert report["method"] == "simulation" and permissions.denied_count(report) == 0


def test_check_aws_prints_the_denied_actions_and_exits_non_zero(signed_in_as_user, capsys):
    arn = signed_in_as_user("limited", READ_ONLY, SIMULATE)
    with pytest.raises(CommandError, match="denied"):
        call_command("check_aws")
    out = capsys.readouterr().out
    assert f"Signed in as {arn}" in out
    assert "Denied for the release console" in out and "  codedeploy:StopDeployment" in out


def test_check_aws_says_all_allowed(sandbox, capsys):
    call_command("check_aws")
    assert "IAM actions allowed" in capsys.readouterr().out


def test_the_overview_lists_what_the_limited_user_may_not_do(client, operator, signed_in_as_user, worker):
    arn = signed_in_as_user("limited", READ_ONLY, SIMULATE)
    client.force_login(operator)
    client.post(reverse("connection-check-create"))
    check = wait_until_finished(ConnectionCheck.objects.get())
    assert check.status == "succeeded" and check.arn == arn
    page = client.get(reverse("overview")).content.decode()
    assert "denied</span> of" in page
    assert "Denied for the release console" in page and "Denied for the setup wizard" in page
    assert "codedeploy:StopDeployment" in page and "iam_policy --console" in page


def test_the_overview_says_when_it_could_only_probe(client, operator, signed_in_as_user, worker):
    signed_in_as_user("no-simulate", READ_ONLY)
    client.force_login(operator)
    client.post(reverse("connection-check-create"))
    wait_until_finished(ConnectionCheck.objects.get())
    page = client.get(reverse("overview")).content.decode()
    assert "Permissions not simulated" in page and "AccessDenied" in page
    assert "ecs.list_clusters" in page


@pytest.mark.browser
def test_an_admin_presses_check_connection_and_sees_every_action_allowed(sign_in, admin_user, sandbox, worker):
    from playwright.sync_api import expect

    page = sign_in(admin_user)
    page.get_by_role("button", name="Check connection").click()
    card = page.locator("#connection-check")
    expect(card).to_contain_text("Connected", timeout=20000)
    expect(card).to_contain_text(f"arn:aws:sts::{ACCOUNT}:user/moto")
    expected = len({a for part in PARTS for a in actions(part)})
    expect(card).to_contain_text(f"all {expected} actions allowed")
