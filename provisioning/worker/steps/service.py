"""Step 4: a Fargate cluster and the service behind the first target group, deployed by CodeDeploy; or, when ECS
deploys it blue/green itself, with the ECS infrastructure role and the production and test listener rules it needs
(ecs_blue_green.py)."""

from provisioning.models import Resource
from provisioning.worker import deleters, ecs_blue_green, ecs_service, iam_roles
from provisioning.worker.step_context import Action, CannotChangeInPlace, Change, StepError, Waiting

KEY, TITLE = "service", "Cluster and service"
HELP = (  # shown on the step's page
    "Creates a Fargate cluster and the service, deployed by CodeDeploy, behind the first target group."
)
ECS_HELP = (
    "Creates a Fargate cluster, the role Amazon ECS uses to move traffic between the two target groups, a production "
    "and a test listener rule forwarding to both, and the service, which ECS deploys blue/green itself."
)
OUTPUTS = (
    "cluster_arn",
    "service_arn",
    "service_target_group_arn",
    "infrastructure_role_arn",
    "production_rule_arn",
    "test_rule_arn",
)
BLUE_GREEN_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")


def plan(setup):
    c = setup.config
    if not setup.uses_ecs:
        return [
            Action("cluster", f"Fargate cluster {c['cluster']}"),
            Action("service", f"Service {c['service']} (CODE_DEPLOY controller)"),
        ]
    groups = f"{c['target_group_1']} and {c['target_group_2']}"
    return [
        Action("cluster", f"Fargate cluster {c['cluster']}"),
        Action(
            "infrastructure_role",
            f"ECS infrastructure role {c['infrastructure_role']} with {ecs_blue_green.INFRASTRUCTURE_POLICY}",
        ),
        Action("rule_production", f"Production listener rule on port {c['production_port']}: all to {groups}"),
        Action("rule_test", f"Test listener rule on port {c['test_port']}: all to {groups}"),
        Action(
            "service",
            f"Service {c['service']} (ECS controller, blue/green, bake time {minutes(c['bake_time_minutes'])})",
        ),
    ]


def minutes(count):
    return f"{count} minute{'' if count == 1 else 's'}"


RECREATE = "recreate"  # the sub-action a "Re-create the service" run starts with


def recreate_action(setup):
    name = setup.config["service"]
    return Action(RECREATE, f"Delete the service {name}, to make it again with the form's values")


def run(ctx):
    if any(action["key"] == RECREATE for action in ctx.run.actions):
        ctx.do(RECREATE, lambda: delete_for_recreate(ctx))
    ctx.do("cluster", lambda: cluster(ctx))
    if ctx.setup.uses_ecs:
        ctx.do("infrastructure_role", lambda: ecs_service.infrastructure_role(ctx))
        ctx.do("rule_production", lambda: ecs_service.listener_rule(ctx, "production"))
        ctx.do("rule_test", lambda: ecs_service.listener_rule(ctx, "test"))
    ctx.do("service", lambda: service(ctx))


def delete_for_recreate(ctx):
    """Delete the service (what AWS cannot change in place goes with it); the next sub-action makes it anew,
    behind the target group production traffic is on now, so the deployment group's next release still fits."""
    c = ctx.config
    row = Resource.objects.filter(setup=ctx.setup, kind="ecs.service", name=f"{c['cluster']}/{c['service']}").first()
    if row is None or not row.owned:
        raise StepError("NotOurs", f"The service {c['service']} was not made by the wizard: it is not deleted.")
    found = ctx.call("ecs", "describe_services", cluster=c["cluster"], services=[c["service"]])["services"]
    live = [s for s in found if s["status"] != "INACTIVE"]
    if live and live[0]["status"] == "ACTIVE":
        balancer = (live[0].get("loadBalancers") or [{}])[0]
        ctx.save_outputs_now(service_target_group_arn=balancer.get("targetGroupArn"))
        deleters.delete(ctx, row)
        live = [
            s
            for s in ctx.call("ecs", "describe_services", cluster=c["cluster"], services=[c["service"]])["services"]
            if s["status"] != "INACTIVE"
        ]
    if live:
        raise Waiting(f"Amazon ECS is still draining the service {c['service']}.", give_up_after=1800)
    Resource.objects.filter(pk=row.pk).update(state=Resource.DELETED)
    return {"detail": "deleted"}


def cluster(ctx):
    name = ctx.config["cluster"]

    def find():
        found = ctx.call("ecs", "describe_clusters", clusters=[name], include=["TAGS"])["clusters"]
        active = [c for c in found if c["status"] == "ACTIVE"]
        return {"arn": active[0]["clusterArn"], "tags": active[0].get("tags", [])} if active else None

    def create():
        made = ctx.call("ecs", "create_cluster", clusterName=name, tags=ctx.tags("key"))
        return {"arn": made["cluster"]["clusterArn"]}

    found = ctx.ensure("ecs.cluster", name, find=find, create=create)
    return {"cluster_arn": found["arn"], "detail": found["detail"]}


def service(ctx):
    c, out = ctx.config, ctx.outputs
    name = c["service"]
    described = {}

    def find():
        found = ctx.call("ecs", "describe_services", cluster=c["cluster"], services=[name], include=["TAGS"])
        live = [s for s in found["services"] if s["status"] != "INACTIVE"]
        if not live:
            return None
        if live[0]["status"] == "DRAINING":
            raise StepError("ServiceDraining", f"The service {name} is being deleted; retry when it is gone.")
        check_controller(ctx, live[0])
        described.update(live[0])
        return {"arn": live[0]["serviceArn"], "tags": live[0].get("tags", [])}

    def create():
        with iam_roles.new_role_propagating(iam_roles.ECS_ROLE_CODES, "Amazon ECS", iam_roles.ECS_ROLE_MESSAGE):
            return {"arn": create_service()["service"]["serviceArn"]}

    def create_service():
        return ctx.call(
            "ecs",
            "create_service",
            cluster=c["cluster"],
            serviceName=name,
            taskDefinition=out["task_definition_arn"],
            desiredCount=c["desired_count"],
            launchType="FARGATE",
            schedulingStrategy="REPLICA",
            networkConfiguration=network_configuration(ctx),
            tags=ctx.tags("key"),
            **deployment(ctx),
        )

    def update(changes):
        ctx.call("ecs", "update_service", cluster=c["cluster"], service=name, **updated(ctx, changes, described))

    found = ctx.ensure("ecs.service", f"{c['cluster']}/{name}", find=find, create=create)
    thing = f"service {name}"
    changes = service_changes(ctx, described, thing) if described else []
    fixed = [
        change for change in changes if change.what not in (ecs_service.IN_PLACE if ctx.setup.uses_ecs else IN_PLACE)
    ]
    if fixed and found["detail"] != "created":
        raise CannotChangeInPlace(thing, fixed, remedy(ctx))
    detail = ctx.bring_in_line(found, changes, thing=thing, apply=update)
    return {"service_arn": found["arn"], "service_target_group_arn": None, "detail": detail}


def check_controller(ctx, found):
    controller = (found.get("deploymentController") or {}).get("type", "ECS")
    strategy = (found.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")
    name = found["serviceName"]
    if not ctx.setup.uses_ecs and controller != "CODE_DEPLOY":
        raise StepError(
            "NotCodeDeployControlled",
            f"The service {name} exists but is not deployed by CodeDeploy; choose another service name.",
        )
    if ctx.setup.uses_ecs and (controller != "ECS" or strategy not in BLUE_GREEN_STRATEGIES):
        raise StepError(
            "NotEcsBlueGreen",
            f"The service {name} exists but Amazon ECS does not deploy it blue/green (deployment controller "
            f"{controller}, strategy {strategy}); choose another service name.",
        )


def network_configuration(ctx):
    out = ctx.outputs
    return {
        "awsvpcConfiguration": {
            "subnets": out["subnets"],
            "securityGroups": [out["security_group_id"]],
            "assignPublicIp": "ENABLED",
        }
    }


def deployment(ctx):
    """CreateService's load balancer and deployment controller: CodeDeploy's, or ECS's own blue/green."""
    c, out = ctx.config, ctx.outputs
    if not ctx.setup.uses_ecs:
        group = out.get("service_target_group_arn") or out["target_group_1_arn"]
        balancer = {"targetGroupArn": group, "containerName": c["container_name"], "containerPort": c["container_port"]}
        return {"loadBalancers": [balancer], "deploymentController": {"type": "CODE_DEPLOY"}}
    return {
        "loadBalancers": [ecs_service.load_balancer(ctx, ecs_service.production_group(ctx))],
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": ecs_blue_green.deployment_configuration(c["bake_time_minutes"]),
    }


def updated(ctx, changes, found):
    """UpdateService's values for a re-run's changes (only the desired count with the CODE_DEPLOY controller); the
    deployment configuration keeps what the wizard does not set (lifecycle hooks, alarms, the circuit breaker)."""
    values = {"desiredCount": ctx.config["desired_count"]}
    if not ctx.setup.uses_ecs:
        return values
    wanted = ecs_blue_green.deployment_configuration(ctx.config["bake_time_minutes"])
    values["deploymentConfiguration"] = {**(found.get("deploymentConfiguration") or {}), **wanted}
    what = {change.what for change in changes}
    if what & {"subnets", "security groups"}:
        values["networkConfiguration"] = network_configuration(ctx)
    if what & set(ecs_service.BALANCER_FIELDS):
        values["loadBalancers"] = [ecs_service.load_balancer(ctx, ecs_service.production_group(ctx))]
    return values


# What UpdateService may change on a service with the CODE_DEPLOY deployment controller ("only the desired count,
# deployment configuration, health check grace period, task placement ... can be updated"; a load balancer, the
# network configuration or the task definition need a new CodeDeploy deployment or a new service).
IN_PLACE = ("tasks",)


def service_changes(ctx, found, thing):
    c, out = ctx.config, ctx.outputs
    has, says = (
        owned_fields(found),
        owned_fields(
            {
                "desiredCount": c["desired_count"],
                "loadBalancers": [
                    {"targetGroupArn": "", "containerName": c["container_name"], "containerPort": c["container_port"]}
                ],
                "networkConfiguration": {
                    "awsvpcConfiguration": {"subnets": out["subnets"], "securityGroups": [out["security_group_id"]]}
                },
            }
        ),
    )
    # A release moves the service to the other target group of the pair: either of the two is in line.
    pair = {out.get("target_group_1_arn"), out.get("target_group_2_arn")}
    balancer = (found.get("loadBalancers") or [{}])[0]
    target = balancer.get("targetGroupArn", "")
    has["target group"] = target.rsplit("/", 2)[-2] if target.count("/") >= 2 else target
    says["target group"] = (
        has["target group"] if target in pair else (c["target_group_1"] + " or " + c["target_group_2"])
    )
    if ctx.setup.uses_ecs:
        has.update(ecs_service.owned_fields(found))
        says.update(ecs_service.owned_fields(ecs_service.wanted(ctx, found)))
    return [Change(thing, what, has[what], says[what]) for what in has if has[what] != says[what]]


def owned_fields(service):
    balancer = (service.get("loadBalancers") or [{}])[0]
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return {
        "tasks": service.get("desiredCount"),
        "container": f"{balancer.get('containerName')}:{balancer.get('containerPort')}",
        "subnets": ", ".join(sorted(network.get("subnets") or [])),
        "security groups": ", ".join(sorted(network.get("securityGroups") or [])),
    }


def remedy(ctx):
    return (
        f"What can be done: re-create the service (the button below deletes {ctx.config['service']} and makes it "
        "again with the form's values; the service has no tasks for a moment), put the earlier value back in the "
        "form and run the step again, or tear this setup down "
        f"(Teardown, on the setup's page), which deletes {ctx.config['service']} with the rest, and run the wizard "
        "again with the new value."
    )
