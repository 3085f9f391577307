"""Step 4: a Fargate cluster and the service, deployed by CodeDeploy, behind the first target group."""

from . import iam
from .base import Action, StepError

KEY, TITLE = "service", "Cluster and service"


def plan(setup):
    return [
        Action("cluster", f"Fargate cluster {setup.config['cluster']}"),
        Action("service", f"Service {setup.config['service']} (CODE_DEPLOY controller)"),
    ]


def run(ctx):
    ctx.do("cluster", lambda: cluster(ctx))
    ctx.do("service", lambda: service(ctx))


def cluster(ctx):
    name = ctx.config["cluster"]

    def find():
        found = ctx.call("ecs", "describe_clusters", clusters=[name], include=["TAGS"])["clusters"]
        active = [c for c in found if c["status"] == "ACTIVE"]
        return {"arn": active[0]["clusterArn"], "tags": active[0].get("tags")} if active else None

    def create():
        made = ctx.call("ecs", "create_cluster", clusterName=name, tags=ctx.tags("key"))
        return {"arn": made["cluster"]["clusterArn"]}

    found = ctx.ensure("ecs.cluster", name, find=find, create=create)
    return {"cluster_arn": found["arn"], "detail": found["detail"]}


def service(ctx):
    c, out = ctx.config, ctx.outputs
    name = c["service"]

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
        return {"arn": live[0]["serviceArn"], "tags": live[0].get("tags")}

    def create():
        with iam.new_role_propagating(iam.ECS_ROLE_CODES, "Amazon ECS", iam.ECS_ROLE_MESSAGE):
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
                    "targetGroupArn": out["target_group_1_arn"],
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

    found = ctx.ensure("ecs.service", f"{c['cluster']}/{name}", find=find, create=create)
    return {"service_arn": found["arn"], "detail": found["detail"]}
