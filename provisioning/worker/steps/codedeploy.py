"""Step 5: the CodeDeploy application (ECS), its service role, and the blue/green deployment group."""

from provisioning.worker import iam_roles
from provisioning.worker.step_context import Action, Change, StepError
from releases.service_deployments import CODEDEPLOY

KEY, TITLE = "codedeploy", "CodeDeploy"
HELP = (  # shown on the step's page
    "Creates the CodeDeploy application for Amazon ECS, its service role, and the blue/green deployment group."
)
ENGINES = (CODEDEPLOY,)  # ECS's own blue/green needs no CodeDeploy application
OUTPUTS = ("codedeploy_role_arn",)
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
    return f"arn:{iam_roles.partition(ctx)}:codedeploy:{ctx.setup.region}:{ctx.outputs['account']}:{resource}"


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
    role = iam_roles.ensure_role(
        ctx, ctx.config["codedeploy_role"], "codedeploy.amazonaws.com", managed=[SERVICE_ROLE_POLICY]
    )
    return {"codedeploy_role_arn": role["arn"], "detail": role["detail"]}


def deployment_group(ctx):
    c = ctx.config
    app, name = c["application"], c["deployment_group"]
    found_info = {}

    def find():
        found = ctx.find(
            ("DeploymentGroupDoesNotExistException",),
            "codedeploy",
            "get_deployment_group",
            applicationName=app,
            deploymentGroupName=name,
        )
        if not found:
            return None
        found_info.update(found["deploymentGroupInfo"])
        return {"arn": arn(ctx, f"deploymentgroup:{app}/{name}")}

    def create():
        with iam_roles.new_role_propagating("InvalidRoleException", "CodeDeploy"):
            ctx.call("codedeploy", "create_deployment_group", **settings(ctx), tags=ctx.tags())
        return {"arn": arn(ctx, f"deploymentgroup:{app}/{name}")}

    def update(_changes):
        wanted = settings(ctx)
        del wanted["deploymentGroupName"]
        with iam_roles.new_role_propagating("InvalidRoleException", "CodeDeploy"):
            ctx.call("codedeploy", "update_deployment_group", currentDeploymentGroupName=name, **wanted)

    found = ctx.ensure("codedeploy.deployment-group", f"{app}/{name}", find=find, create=create)
    thing = f"deployment group {name}"
    changes = group_changes(found_info, settings(ctx), thing) if found_info else []
    return {"detail": ctx.bring_in_line(found, changes, thing=thing, apply=update)}


def reroute_words(ready):
    ready = ready or {}
    if ready.get("actionOnTimeout", "CONTINUE_DEPLOYMENT") == "CONTINUE_DEPLOYMENT":
        return "immediately"
    return f"wait up to {ready.get('waitTimeInMinutes', 0)} minutes for someone to reroute"


def owned_fields(group):
    """The deployment group's fields the wizard sets, in words, by what they are called on the form."""
    blue_green = group.get("blueGreenDeploymentConfiguration") or {}
    termination = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    rollback = group.get("autoRollbackConfiguration") or {}
    (pair,) = (group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or [{}]
    services = group.get("ecsServices") or [{}]
    return {
        "reroute": reroute_words(blue_green.get("deploymentReadyOption")),
        "termination wait": f"{termination.get('terminationWaitTimeInMinutes', 0)} minutes"
        + ("" if termination.get("action", "TERMINATE") == "TERMINATE" else f" ({termination['action']})"),
        "deployment configuration": group.get("deploymentConfigName"),
        "automatic rollback": "on" if rollback.get("enabled") else "off",
        "service role": group.get("serviceRoleArn"),
        "deployment style": "{deploymentType} {deploymentOption}".format(
            **{"deploymentType": "", "deploymentOption": "", **(group.get("deploymentStyle") or {})}
        ).strip(),
        "target groups": ", ".join(g.get("name", "") for g in pair.get("targetGroups") or []),
        "production listener": ", ".join((pair.get("prodTrafficRoute") or {}).get("listenerArns") or []),
        "test listener": ", ".join((pair.get("testTrafficRoute") or {}).get("listenerArns") or []),
        "ECS service": ", ".join(f"{s.get('clusterName')}/{s.get('serviceName')}" for s in services),
    }


def group_changes(found, wanted, thing):
    has, says = owned_fields(found), owned_fields(wanted)
    return [Change(thing, what, has[what], says[what]) for what in has if has[what] != says[what]]


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
