"""The service step's parts for ECS's own blue/green (Setup.engine "ecs"): the infrastructure role and listener rules
it makes first, the service's load balancer entry, and the fields of the service the wizard owns beyond CodeDeploy's."""

from provisioning.worker import ecs_blue_green


def infrastructure_role(ctx):
    role = ecs_blue_green.infrastructure_role(ctx, ctx.config["infrastructure_role"])
    return {"infrastructure_role_arn": role["arn"], "detail": role["detail"]}


def listener_rule(ctx, which):
    out = ctx.outputs
    name = ecs_blue_green.rule_name(ctx.config["load_balancer"], which)
    listener = out[f"{which}_listener_arn"]
    rule = ecs_blue_green.listener_rule(ctx, name, listener, out["target_group_1_arn"], out["target_group_2_arn"])
    return {f"{which}_rule_arn": rule["arn"], "detail": rule["detail"]}


def load_balancer(ctx, group):
    c, out = ctx.config, ctx.outputs
    pair = [out["target_group_1_arn"], out["target_group_2_arn"]]
    return ecs_blue_green.load_balancer_entry(
        target_group_arn=group,
        alternate_target_group_arn=next(arn for arn in pair if arn != group),
        container_name=c["container_name"],
        container_port=c["container_port"],
        production_rule_arn=out["production_rule_arn"],
        test_rule_arn=out["test_rule_arn"],
        role_arn=out["infrastructure_role_arn"],
    )


def production_group(ctx):
    """The target group the production rule sends traffic to now: ECS's first deployment goes there (after a
    release, or a re-made service, it is the second one)."""
    out = ctx.outputs
    rule = ctx.call("elbv2", "describe_rules", RuleArns=[out["production_rule_arn"]])["Rules"][0]
    weights = ecs_blue_green.weights(rule)
    return out["target_group_2_arn"] if weights.get(out["target_group_2_arn"], 0) > 0 else out["target_group_1_arn"]


# With the ECS controller, UpdateService changes the deployment configuration, the network configuration and the
# load balancers too (the last two by a new service deployment); the container must be one of the task definition.
BALANCER_FIELDS = (
    "alternate target group",
    "production listener rule",
    "test listener rule",
    "infrastructure role",
)
IN_PLACE = ("tasks", "strategy", "bake time", "subnets", "security groups", *BALANCER_FIELDS)


def wanted(ctx, found):
    """The service as the form and outputs say, for ECS's fields: the target group it has (either of the pair)."""
    group = ((found.get("loadBalancers") or [{}])[0]).get("targetGroupArn", "")
    if group not in (ctx.outputs.get("target_group_1_arn"), ctx.outputs.get("target_group_2_arn")):
        group = ctx.outputs["target_group_1_arn"]
    return {
        "deploymentConfiguration": ecs_blue_green.deployment_configuration(ctx.config["bake_time_minutes"]),
        "loadBalancers": [load_balancer(ctx, group)],
    }


def owned_fields(service):
    config = service.get("deploymentConfiguration") or {}
    advanced = ((service.get("loadBalancers") or [{}])[0]).get("advancedConfiguration") or {}
    return {
        "strategy": config.get("strategy", "ROLLING"),
        "bake time": f"{config.get('bakeTimeInMinutes', 0)} minutes",
        "alternate target group": ecs_blue_green.group_name(advanced.get("alternateTargetGroupArn") or "(none)"),
        "production listener rule": advanced.get("productionListenerRule") or "(none)",
        "test listener rule": advanced.get("testListenerRule") or "(none)",
        "infrastructure role": advanced.get("roleArn") or "(none)",
    }
