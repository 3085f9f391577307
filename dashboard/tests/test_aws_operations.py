"""The registry of AWS operations: complete, real, enforced at run time, and the policies made from it valid."""

import json
import re

import boto3
import pytest
from django.core.management import call_command

from dashboard import aws, iam_policy
from dashboard.aws_operations import CONSOLE, OPERATIONS, PARTS, REGISTRY, WIZARD, actions
from dashboard.tests.aws_calls import ROOT, calls_in, product_calls, unregistered
from sandbox.testing import SandboxClients

SESSION = boto3.session.Session(region_name="us-east-1")
SERVICES = set(SESSION.get_available_services())


def test_every_aws_call_in_the_product_is_registered_for_its_part():
    sites = product_calls(SERVICES)
    assert len(sites) > 80  # the walk really found the product's calls
    assert unregistered(sites, REGISTRY) == []


def test_the_check_finds_an_unregistered_call():
    snippet = """
def refresh(ctx):
    aws.call("ecs", "list_container_instances", cluster="web")
    ctx.find(("ClusterNotFoundException",), "ecs", "describe_tasks", tasks=["t"])
    ctx.paginate("ecs", "list_services", "serviceArns")
"""
    problems = unregistered(calls_in(snippet, "releases/snippet.py", SERVICES), REGISTRY)
    assert [p.split(" ", 1)[1] for p in problems] == [
        "ecs.list_container_instances is not in dashboard/aws_operations.py",
        "ecs.describe_tasks is not in dashboard/aws_operations.py",
        "ecs.list_services is not in dashboard/aws_operations.py",
    ]


def test_the_check_finds_a_call_registered_for_another_part_only():
    snippet = 'aws.call("ecs", "create_cluster", clusterName="web")'
    assert unregistered(calls_in(snippet, "releases/snippet.py", SERVICES), REGISTRY) == [
        "releases/snippet.py:1 ecs.create_cluster is used by the console but registered for ['wizard'] only"
    ]


def test_aws_call_refuses_an_unregistered_operation_before_reaching_aws(sandbox):
    with pytest.raises(aws.UnregisteredOperation, match="ecs.list_container_instances is not in"):
        aws.call("ecs", "list_container_instances", cluster="web")
    with pytest.raises(aws.UnregisteredOperation, match="ecs.list_services"):
        aws.paginate("ecs", "list_services", "serviceArns", cluster="web")
    assert "ListContainerInstances" not in sandbox.calls().get("ecs", {})
    assert aws.call("ecs", "list_clusters", maxResults=1) == {"clusterArns": []}  # a registered one goes through


def test_every_registered_operation_is_a_real_operation_of_its_service():
    for operation in OPERATIONS:
        client = SESSION.client(operation.service)
        mapping = client.meta.method_to_api_mapping
        assert mapping.get(operation.name) == operation.api_name, operation.key
        prefix = client.meta.service_model.signing_name
        assert all(":" in action for action in operation.iam_actions), operation.key
        if not operation.actions:
            assert operation.iam_actions[0] == f"{prefix}:{operation.api_name}", operation.key


def test_paginated_calls_are_to_operations_botocore_can_paginate():
    for site in product_calls(SERVICES):
        if site.paginated:
            assert SESSION.client(site.service).can_paginate(site.operation), site


def test_each_part_needs_what_the_issue_lists():
    console, wizard = set(actions(CONSOLE)), set(actions(WIZARD))
    assert {"sts:GetCallerIdentity", "iam:SimulatePrincipalPolicy", "events:ListRuleNamesByTarget"} <= console
    assert {"codedeploy:ListDeployments", "iam:GetRolePolicy", "elasticloadbalancing:DescribeListeners"} <= console
    assert {"iam:CreateServiceLinkedRole", "iam:PassRole", "events:PutRule", "ecr:TagResource"} <= wizard
    rules = {f"elasticloadbalancing:{verb}" for verb in ("CreateRule", "ModifyRule", "DeleteRule", "DescribeRules")}
    assert rules <= wizard  # ECS blue/green's listener rules
    assert "ecr:PutImage" not in console | wizard  # the sandbox page's push is in no printed policy
    assert "ecs:CreateCluster" not in console


@pytest.mark.parametrize("parts", [[CONSOLE], [WIZARD], list(PARTS)])
def test_the_printed_policies_are_valid_iam_policies_within_the_size_limit(sandbox, parts):
    iam = SandboxClients(sandbox).iam
    for index, document in enumerate(iam_policy.documents(parts, account="123456789012")):
        assert len(iam_policy.compact(document)) <= iam_policy.MANAGED_POLICY_MAX
        made = iam.create_policy(PolicyName=f"bluegreen-{'-'.join(parts)}-{index}", PolicyDocument=json.dumps(document))
        assert made["Policy"]["Arn"]


def test_the_command_prints_json_with_pass_role_scoped_to_the_roles_and_services(capsys):
    call_command("iam_policy", "--wizard", "--account", "123456789012", "--setup", "shop", "--events-role", "rules")
    printed = capsys.readouterr()
    document = json.loads(printed.out)
    passes = {
        s["Condition"]["StringEquals"]["iam:PassedToService"]: s["Resource"]
        for s in document["Statement"]
        if s["Action"] == "iam:PassRole"
    }
    assert passes == {
        "ecs-tasks.amazonaws.com": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        "codedeploy.amazonaws.com": "arn:aws:iam::123456789012:role/shop-codedeploy",
        "codepipeline.amazonaws.com": "arn:aws:iam::123456789012:role/shop-codepipeline",
        "events.amazonaws.com": "arn:aws:iam::123456789012:role/rules",
        "ecs.amazonaws.com": "arn:aws:iam::123456789012:role/shop-ecs-infrastructure",
    }
    roles = next(s for s in document["Statement"] if s["Sid"] == "WizardRoles")
    assert "iam:CreateRole" in roles["Action"] and "arn:aws:iam::123456789012:role/shop-codedeploy" in roles["Resource"]
    assert "1 document(s)" in printed.err


def test_the_console_passes_no_role_and_writes_nothing_in_iam(capsys):
    call_command("iam_policy", "--console")
    document = json.dumps(json.loads(capsys.readouterr().out))
    assert "iam:PassRole" not in document and "iam:CreateRole" not in document
    assert "codedeploy:ContinueDeployment" in document and "iam:SimulatePrincipalPolicy" in document


def test_a_policy_over_the_size_limit_is_split_into_documents_that_fit():
    many = [f"ecs:Action{index:04}WithAQuiteLongName" for index in range(400)]
    statements = [{"Sid": "Operations", "Effect": "Allow", "Action": many, "Resource": "*"}]
    documents = iam_policy.split(statements)
    assert len(documents) > 1
    assert all(len(iam_policy.compact(d)) <= iam_policy.MANAGED_POLICY_MAX for d in documents)
    assert sorted(a for d in documents for s in d["Statement"] for a in s["Action"]) == many


def test_the_readme_names_no_iam_action_the_product_does_not_need():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### IAM permissions", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\b([a-z0-9-]+:[A-Z][A-Za-z]+)\b", section)) - {"iam:PassedToService"}  # a condition key
    assert named and named - set(actions(CONSOLE)) - set(actions(WIZARD)) == set()
    assert "iam_policy --console" in section and "iam_policy --wizard" in section
