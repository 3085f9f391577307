"""Step 4: a Fargate cluster and the service, deployed by CodeDeploy, behind the first target group."""

from provisioning.models import Resource
from provisioning.worker import deleters, iam_roles
from provisioning.worker.step_context import Action, CannotChangeInPlace, Change, StepError, Waiting

KEY, TITLE = "service", "Cluster and service"
HELP = (  # shown on the step's page
    "Creates a Fargate cluster and the service, deployed by CodeDeploy, behind the first target group."
)
OUTPUTS = ("cluster_arn", "service_arn", "service_target_group_arn")


def plan(setup):
    return [
        Action("cluster", f"Fargate cluster {setup.config['cluster']}"),
        Action("service", f"Service {setup.config['service']} (CODE_DEPLOY controller)"),
    ]


RECREATE = "recreate"  # the sub-action a "Re-create the service" run starts with


def recreate_action(setup):
    name = setup.config["service"]
    return Action(RECREATE, f"Delete the service {name}, to make it again with the form's values")


def run(ctx):
    if any(action["key"] == RECREATE for action in ctx.run.actions):
        ctx.do(RECREATE, lambda: delete_for_recreate(ctx))
    ctx.do("cluster", lambda: cluster(ctx))
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
        if live[0].get("deploymentController", {}).get("type") != "CODE_DEPLOY":
            raise StepError(
                "NotCodeDeployControlled",
                f"The service {name} exists but is not deployed by CodeDeploy; choose another service name.",
            )
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
            loadBalancers=[
                {
                    "targetGroupArn": out.get("service_target_group_arn") or out["target_group_1_arn"],
                    "containerName": c["container_name"],
                    "containerPort": c["container_port"],
                }
            ],
            desiredCount=c["desired_count"],
            launchType="FARGATE",
            schedulingStrategy="REPLICA",
            deploymentController={"type": "CODE_DEPLOY"},
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": out["subnets"],
                    "securityGroups": [out["security_group_id"]],
                    "assignPublicIp": "ENABLED",
                }
            },
            tags=ctx.tags("key"),
        )

    def update(changes):
        ctx.call("ecs", "update_service", cluster=c["cluster"], service=name, desiredCount=c["desired_count"])

    found = ctx.ensure("ecs.service", f"{c['cluster']}/{name}", find=find, create=create)
    thing = f"service {name}"
    changes = service_changes(ctx, described, thing) if described else []
    fixed = [change for change in changes if change.what not in IN_PLACE]
    if fixed and found["detail"] != "created":
        raise CannotChangeInPlace(thing, fixed, remedy(ctx))
    detail = ctx.bring_in_line(found, changes, thing=thing, apply=update)
    return {"service_arn": found["arn"], "service_target_group_arn": None, "detail": detail}


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
