"""Amazon ECS's own blue/green (the ECS deployment controller, strategy BLUE_GREEN), without CodeDeploy: the pieces
a service needs besides the tutorial's load balancer, listeners and target groups.

ECS developer guide, "Application Load Balancer resources for blue/green deployments" and "Amazon ECS
infrastructure IAM role for load balancers": a production and a test listener rule, each forwarding to both target
groups (ECS moves their weights during a deployment), and a role trusted by ecs.amazonaws.com with the managed
policy AmazonECSInfrastructureRolePolicyForLoadBalancers, which ECS assumes to change the rules. The service names
them in its load balancer's `advancedConfiguration`.

Every function takes a step's Context (provisioning.worker.step_context) and finds what is there before it creates
anything, so a re-run or a worker taking over changes nothing; none writes outputs: the calling step does.
"""

from provisioning.models import Resource
from provisioning.names import DEFAULT_BAKE_MINUTES, MAX_BAKE_MINUTES  # noqa: F401 (ecs_blue_green.*_BAKE_MINUTES)
from provisioning.worker import iam_roles
from provisioning.worker.step_context import Change

INFRASTRUCTURE_TRUST = "ecs.amazonaws.com"
INFRASTRUCTURE_POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"
RULE_PATHS = ["/*"]  # every request that reaches the listener
MISSING_RULE = ("RuleNotFound", "ListenerNotFound")


def infrastructure_role(ctx, name):
    """The role ECS assumes to move the listener rules' traffic: found by `name` (an adopted one must already trust
    ecs.amazonaws.com and carry the managed policy), or created. Answers ensure()'s dict: arn, owned, detail."""
    return iam_roles.ensure_role(ctx, name, INFRASTRUCTURE_TRUST, managed=[INFRASTRUCTURE_POLICY])


def rule_name(load_balancer_name, which):
    """The inventory's name of the `which` ("production" or "test") rule on the load balancer's listener: every caller
    names it so, so that the wizard and a later step find the same rule as theirs."""
    return f"{load_balancer_name} {which} rule"


def listener_rule(ctx, name, listener_arn, target_group_arn, alternate_target_group_arn):
    """The listener rule that sends every request on the listener to the service's two target groups (the first
    at weight 100, the alternate at 0, until ECS moves them). Found on the listener (the one the inventory has as
    `name`, else one forwarding only to these two groups), or created after the listener's other rules.

    `name` is the rule's name in the inventory (rule_name(): "shop-alb production rule"). Answers arn, owned and
    detail; a rule of the wizard that forwards elsewhere is brought back to the two groups (a Change on the run)."""
    pair = (target_group_arn, alternate_target_group_arn)
    found_rule = {}

    def find():
        rules = ctx.paginate("elbv2", "describe_rules", "Rules", ListenerArn=listener_arn)
        rule = pick_rule(ctx, name, rules, pair)
        if rule is None:
            return None
        found_rule.update(rule)
        return {"arn": rule["RuleArn"]}

    def create():
        made = ctx.call(
            "elbv2",
            "create_rule",
            ListenerArn=listener_arn,
            Priority=next_priority(ctx.paginate("elbv2", "describe_rules", "Rules", ListenerArn=listener_arn)),
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": RULE_PATHS}}],
            Actions=[forward(dict.fromkeys(pair, 0) | {target_group_arn: 100})],
            Tags=ctx.tags(),
        )
        return {"arn": made["Rules"][0]["RuleArn"]}

    found = ctx.ensure("elbv2.listener-rule", name, find=find, create=create)
    thing = f"listener rule {name}"
    changes = rule_changes(found_rule, pair, thing) if found_rule else []

    def bring_back(_changes):
        ctx.call("elbv2", "modify_rule", RuleArn=found["arn"], Actions=[forward(weights_back(found_rule, pair))])

    detail = ctx.bring_in_line(found, changes, thing=thing, apply=bring_back)
    return {"arn": found["arn"], "owned": found["owned"], "detail": detail}


def pick_rule(ctx, name, rules, pair):
    recorded = Resource.objects.filter(setup=ctx.setup, kind="elbv2.listener-rule", name=name).exclude(
        state=Resource.DELETED
    )
    arns = set(recorded.values_list("arn", flat=True)) - {""}
    mine = [r for r in rules if r["RuleArn"] in arns]
    if mine:
        return mine[0]
    ours = [r for r in rules if not r.get("IsDefault") and weights(r) and set(weights(r)) <= set(pair)]
    return ours[0] if ours else None


def next_priority(rules):
    """After the listener's other rules, so that a rule someone added for a path of their own still wins."""
    taken = [int(r["Priority"]) for r in rules if str(r.get("Priority", "")).isdigit()]
    return max(taken, default=0) + 1


def forward(weights_by_group):
    groups = [{"TargetGroupArn": arn, "Weight": int(weight)} for arn, weight in weights_by_group.items()]
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}


def weights(rule):
    """Target group ARN → weight of a rule's forward action ({} when it does not forward)."""
    found = {}
    for action in rule.get("Actions") or []:
        if action.get("Type") != "forward":
            continue
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            found[group["TargetGroupArn"]] = int(group.get("Weight", 1))
        if not found and action.get("TargetGroupArn"):
            found[action["TargetGroupArn"]] = 100
    return found


def weights_back(rule, pair):
    """The pair's weights as the rule has them (a release may have moved them); all on the first when it has none."""
    kept = {arn: weights(rule).get(arn, 0) for arn in pair}
    return kept if any(kept.values()) else {pair[0]: 100, pair[1]: 0}


def group_name(arn):
    return arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]


def rule_changes(rule, pair, thing):
    """What differs from the rule the wizard made, for what it owns: the target groups it forwards to (their
    weights are ECS's to move) and the requests it matches."""
    changes = []
    has = ", ".join(sorted(group_name(arn) for arn in weights(rule))) or "(no forward action)"
    wanted = ", ".join(sorted(group_name(arn) for arn in pair))
    if has != wanted:
        changes.append(Change(thing, "target groups", has, wanted))
    paths = [
        value
        for condition in rule.get("Conditions") or []
        if condition.get("Field") == "path-pattern"
        for value in (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values") or []
    ]
    if len(rule.get("Conditions") or []) != 1 or paths != RULE_PATHS:
        conditions = ", ".join(c.get("Field", "") for c in rule.get("Conditions") or []) or "(none)"
        changes.append(Change(thing, "conditions", f"{conditions} {' '.join(paths)}".strip(), "path-pattern /*"))
    return changes


def load_balancer_entry(
    *,
    target_group_arn,
    alternate_target_group_arn,
    container_name,
    container_port,
    production_rule_arn,
    test_rule_arn,
    role_arn,
):
    """The service's `loadBalancers` entry for CreateService or UpdateService: its target group (where the first
    deployment goes), and the `advancedConfiguration` ECS needs for blue/green."""
    return {
        "targetGroupArn": target_group_arn,
        "containerName": container_name,
        "containerPort": container_port,
        "advancedConfiguration": {
            "alternateTargetGroupArn": alternate_target_group_arn,
            "productionListenerRule": production_rule_arn,
            "testListenerRule": test_rule_arn,
            "roleArn": role_arn,
        },
    }


def deployment_configuration(bake_time_minutes=DEFAULT_BAKE_MINUTES):
    """The service's `deploymentConfiguration`: ECS blue/green, the original revision kept `bake_time_minutes` after
    production traffic moved (ECS requires the bake time with BLUE_GREEN)."""
    return {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": int(bake_time_minutes)}


def listener_rule_drift(reader, rule_arn, target_group_arn, alternate_target_group_arn, *, name):
    """A drift check's comparison (read calls only): the changes from the rule the wizard made, or None when the
    rule is gone. `reader` is a step Context or drift.Reader."""
    found = reader.find(MISSING_RULE, "elbv2", "describe_rules", RuleArns=[rule_arn])
    if not found or not found["Rules"]:
        return None
    return rule_changes(found["Rules"][0], (target_group_arn, alternate_target_group_arn), f"listener rule {name}")
