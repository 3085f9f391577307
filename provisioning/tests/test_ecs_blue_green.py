"""The pieces of ECS's own blue/green (provisioning/worker/ecs_blue_green.py) against the sandbox: each finds what
is there before it makes anything, a second run changes nothing, and a rule someone changed is brought back."""

import json

import pytest
from django.core.management import call_command

from provisioning.models import Resource, Setup, StepRun
from provisioning.tests.checks import ACCOUNT, attached, trusted_by
from provisioning.worker import drift, ecs_blue_green
from provisioning.worker.step_context import AdoptedDiffers, Context, StepError
from provisioning.worker.steps import OWNER_OF_OUTPUT

pytestmark = pytest.mark.django_db(transaction=True)


def in_a_step(setup, key="piece"):
    """A running step run of the load balancer step with one sub-action, and its context."""
    action = {"key": key, "label": key, "status": "pending", "detail": ""}
    run = StepRun.objects.create(setup=setup, step="loadbalancer", actions=[action])
    run.claim()
    return Context(run, OWNER_OF_OUTPUT)


def piece(setup, work):
    """Run `work(ctx)` as a step's sub-action; answers its result and the run's checklist labels."""
    ctx = in_a_step(setup)
    found = {}
    try:
        ctx.do("piece", lambda: {"detail": found.setdefault("result", work(ctx))["detail"]})
    finally:
        ctx.run.conclude()
    return found["result"], [a["label"] for a in ctx.run.actions]


@pytest.fixture
def balanced(aws, sandbox):
    call_command("provision", "shop", "--until", "loadbalancer", "--sample-image")
    return Setup.objects.get(name="shop")


def production_rule(setup):
    out = setup.outputs
    name = ecs_blue_green.rule_name("shop-alb", "production")
    return lambda ctx: ecs_blue_green.listener_rule(
        ctx, name, out["production_listener_arn"], out["target_group_1_arn"], out["target_group_2_arn"]
    )


def test_the_infrastructure_role_trusts_ecs_with_the_managed_policy_and_a_rerun_finds_it(balanced, aws):
    made, _ = piece(balanced, lambda ctx: ecs_blue_green.infrastructure_role(ctx, "shop-ecs-infrastructure"))
    assert made["detail"] == "created"
    assert made["arn"] == f"arn:aws:iam::{ACCOUNT}:role/shop-ecs-infrastructure"
    assert trusted_by(aws, "shop-ecs-infrastructure", "ecs.amazonaws.com")
    assert attached(aws, "shop-ecs-infrastructure") == {"AmazonECSInfrastructureRolePolicyForLoadBalancers"}

    again, _ = piece(balanced, lambda ctx: ecs_blue_green.infrastructure_role(ctx, "shop-ecs-infrastructure"))
    assert again["detail"] == "already there (ours)"
    assert Resource.objects.filter(kind="iam.role", name="shop-ecs-infrastructure", owned=True).count() == 1


def test_an_adopted_role_without_the_managed_policy_is_refused(balanced, aws):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}}]}
    trust["Statement"][0]["Action"] = "sts:AssumeRole"
    aws.iam.create_role(RoleName="theirs", AssumeRolePolicyDocument=json.dumps(trust))

    with pytest.raises(StepError) as refused:
        piece(balanced, lambda ctx: ecs_blue_green.infrastructure_role(ctx, "theirs"))
    assert refused.value.code == "RolePolicyMissing"
    assert "AmazonECSInfrastructureRolePolicyForLoadBalancers" in refused.value.message


def test_a_listener_rule_forwards_everything_to_both_groups_and_a_rerun_finds_it(balanced, aws):
    out = balanced.outputs
    made, _ = piece(balanced, production_rule(balanced))
    assert made["detail"] == "created"
    rules = aws.elbv2.describe_rules(ListenerArn=out["production_listener_arn"])["Rules"]
    (rule,) = [r for r in rules if not r["IsDefault"]]
    assert rule["RuleArn"] == made["arn"]
    assert rule["Conditions"][0]["Field"] == "path-pattern"
    assert rule["Actions"][0]["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": out["target_group_1_arn"], "Weight": 100},
        {"TargetGroupArn": out["target_group_2_arn"], "Weight": 0},
    ]

    again, labels = piece(balanced, production_rule(balanced))
    assert (again["arn"], again["detail"]) == (made["arn"], "already there (ours)")
    assert labels == ["piece"]
    assert len(aws.elbv2.describe_rules(ListenerArn=out["production_listener_arn"])["Rules"]) == 2


def test_a_release_moving_the_weights_is_not_drift_but_another_target_group_is_and_a_rerun_brings_it_back(
    balanced, aws
):
    out = balanced.outputs
    made, _ = piece(balanced, production_rule(balanced))
    pair = (out["target_group_1_arn"], out["target_group_2_arn"])
    moved = ecs_blue_green.forward({pair[0]: 0, pair[1]: 100})  # what ECS does in a release
    aws.elbv2.modify_rule(RuleArn=made["arn"], Actions=[moved])
    reader = drift.Reader(balanced)
    assert ecs_blue_green.listener_rule_drift(reader, made["arn"], *pair, name="shop-alb production rule") == []

    other = aws.elbv2.create_target_group(Name="other", Protocol="HTTP", Port=80, VpcId=out["vpc_id"], TargetType="ip")
    other = other["TargetGroups"][0]["TargetGroupArn"]
    aws.elbv2.modify_rule(RuleArn=made["arn"], Actions=[{"Type": "forward", "TargetGroupArn": other}])
    (change,) = ecs_blue_green.listener_rule_drift(reader, made["arn"], *pair, name="shop-alb production rule")
    assert (change.what, change.aws, change.wanted) == ("target groups", "other", "shop-tg-1, shop-tg-2")
    finding = next(f for f in drift.findings(balanced) if f["kind"] == "elbv2.listener-rule")
    assert finding["state"] == drift.DRIFTED

    again, labels = piece(balanced, production_rule(balanced))
    assert again["arn"] == made["arn"]
    changed = "Changed listener rule shop-alb production rule: target groups from other to shop-tg-1, shop-tg-2"
    assert labels == ["piece", changed]
    rule = aws.elbv2.describe_rules(RuleArns=[made["arn"]])["Rules"][0]
    assert rule["Actions"][0]["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": pair[0], "Weight": 100},
        {"TargetGroupArn": pair[1], "Weight": 0},
    ]
    assert ecs_blue_green.listener_rule_drift(reader, made["arn"], *pair, name="shop-alb production rule") == []


def test_a_rule_someone_else_made_is_adopted_and_never_changed(balanced, aws):
    out = balanced.outputs
    pair = (out["target_group_1_arn"], out["target_group_2_arn"])
    theirs = aws.elbv2.create_rule(
        ListenerArn=out["production_listener_arn"],
        Priority=5,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["shop.example.com"]}}],
        Actions=[ecs_blue_green.forward({pair[0]: 100, pair[1]: 0})],
    )["Rules"][0]["RuleArn"]

    with pytest.raises(AdoptedDiffers) as refused:
        piece(balanced, production_rule(balanced))
    assert "conditions is host-header" in refused.value.message
    assert aws.elbv2.describe_rules(RuleArns=[theirs])["Rules"][0]["Conditions"][0]["Field"] == "host-header"
    assert Resource.objects.get(kind="elbv2.listener-rule").owned is False


def test_the_service_entries_are_what_ecs_asks_for():
    entry = ecs_blue_green.load_balancer_entry(
        target_group_arn="tg-1",
        alternate_target_group_arn="tg-2",
        container_name="web",
        container_port=80,
        production_rule_arn="rule-80",
        test_rule_arn="rule-8080",
        role_arn="role",
    )
    assert entry == {
        "targetGroupArn": "tg-1",
        "containerName": "web",
        "containerPort": 80,
        "advancedConfiguration": {
            "alternateTargetGroupArn": "tg-2",
            "productionListenerRule": "rule-80",
            "testListenerRule": "rule-8080",
            "roleArn": "role",
        },
    }
    assert ecs_blue_green.deployment_configuration() == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 30}
    assert ecs_blue_green.deployment_configuration(5)["bakeTimeInMinutes"] == 5


def test_teardown_deletes_a_rule_the_wizard_made(balanced, aws):
    made, _ = piece(balanced, production_rule(balanced))
    call_command("teardown", "shop", "--confirm", "shop")
    assert Resource.objects.get(kind="elbv2.listener-rule").state == Resource.DELETED
    assert aws.elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert made["arn"]
