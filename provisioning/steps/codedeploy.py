"""Step 5: the CodeDeploy application (ECS), its service role, and the blue/green deployment group."""

from . import iam
from .base import Action, StepError

KEY, TITLE = "codedeploy", "CodeDeploy"
SERVICE_ROLE_POLICY = "AWSCodeDeployRoleForECS"


def plan(setup):
    c = setup.config
    return [
        Action("application", f"CodeDeploy application {c['application']} (Amazon ECS)"),
        Action("service_role", f"Service role {c['codedeploy_role']} with {SERVICE_ROLE_POLICY}"),
        Action("deployment_group", f"Deployment group {c['deployment_group']}"),
    ]


def run(ctx):
    ctx.do("application", lambda: application(ctx))
    ctx.do("service_role", lambda: service_role(ctx))
    ctx.do("deployment_group", lambda: deployment_group(ctx))


def arn(ctx, resource):
    return f"arn:{iam.partition(ctx)}:codedeploy:{ctx.setup.region}:{ctx.outputs['account']}:{resource}"


def application(ctx):
    name = ctx.config["application"]

    def find():
        found = ctx.find(("ApplicationDoesNotExistException",), "codedeploy", "get_application", applicationName=name)
        if not found:
            return None
        if found["application"].get("computePlatform") != "ECS":
            raise StepError("NotAnEcsApplication", f"The CodeDeploy application {name} is not for Amazon ECS.")
        return {"arn": arn(ctx, f"application:{name}")}

    def create():
        ctx.call("codedeploy", "create_application", applicationName=name, computePlatform="ECS", tags=ctx.tags())
        return {"arn": arn(ctx, f"application:{name}")}

    return {"detail": ctx.ensure("codedeploy.application", name, find=find, create=create)["detail"]}


def service_role(ctx):
    role = iam.ensure_role(
        ctx, ctx.config["codedeploy_role"], "codedeploy.amazonaws.com", managed=[SERVICE_ROLE_POLICY]
    )
    return {"codedeploy_role_arn": role["arn"], "detail": role["detail"]}


def deployment_group(ctx):
    c = ctx.config
    app, name = c["application"], c["deployment_group"]

    def find():
        found = ctx.find(
            ("DeploymentGroupDoesNotExistException",),
            "codedeploy",
            "get_deployment_group",
            applicationName=app,
            deploymentGroupName=name,
        )
        return {"arn": arn(ctx, f"deploymentgroup:{app}/{name}")} if found else None

    def create():
        with iam.new_role_propagating("InvalidRoleException", "CodeDeploy"):
            ctx.call("codedeploy", "create_deployment_group", **settings(ctx), tags=ctx.tags())
        return {"arn": arn(ctx, f"deploymentgroup:{app}/{name}")}

    return {"detail": ctx.ensure("codedeploy.deployment-group", f"{app}/{name}", find=find, create=create)["detail"]}


def settings(ctx):
    c, out = ctx.config, ctx.outputs
    if c["reroute"] == "immediately":
        ready = {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}
    else:
        ready = {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": c["ready_wait_minutes"]}
    return {
        "applicationName": c["application"],
        "deploymentGroupName": c["deployment_group"],
        "serviceRoleArn": out["codedeploy_role_arn"],
        "deploymentConfigName": c["deployment_config"],
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": c["termination_wait_minutes"],
            },
            "deploymentReadyOption": ready,
        },
        "loadBalancerInfo": {
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": c["target_group_1"]}, {"name": c["target_group_2"]}],
                    "prodTrafficRoute": {"listenerArns": [out["production_listener_arn"]]},
                    "testTrafficRoute": {"listenerArns": [out["test_listener_arn"]]},
                }
            ]
        },
        "ecsServices": [{"serviceName": c["service"], "clusterName": c["cluster"]}],
        "autoRollbackConfiguration": {
            "enabled": c["rollback_on_failure"],
            "events": ["DEPLOYMENT_FAILURE"] if c["rollback_on_failure"] else [],
        },
    }
