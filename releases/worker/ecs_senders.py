"""The AWS calls behind the operator actions on an ECS blue/green service (no CodeDeploy), and how to tell from
AWS's state whether one whose worker died mid-call was applied. Runs in workers only."""

from dashboard import aws
from releases.service_deployments import ROLLED_BACK


def _call(action, operation, /, **params):
    response = aws.call("ecs", operation, action.connection(), **params)
    return response, response.request_id


def rollback(target, params, action):
    """StopServiceDeployment with stopType ROLLBACK: ECS shifts production back to the source revision."""
    _, request_id = _call(
        action, "stop_service_deployment", serviceDeploymentArn=params["service_deployment_arn"], stopType="ROLLBACK"
    )
    return {"stop_status": "ROLLBACK_REQUESTED", "stop_message": "ECS is rolling the deployment back."}, request_id


def continue_hook(target, params, action):
    _, request_id = _call(
        action,
        "continue_service_deployment",
        serviceDeploymentArn=params["service_deployment_arn"],
        hookId=params["hook_id"],
        action="CONTINUE",
    )
    return {"hook_id": params["hook_id"]}, request_id


def _deployment(action):
    answer = aws.call(
        "ecs",
        "describe_service_deployments",
        action.connection(),
        serviceDeploymentArns=[action.params["service_deployment_arn"]],
    )
    return (answer.get("serviceDeployments") or [{}])[0]


def rolled_back(target, params, action):
    status = _deployment(action).get("status", "")
    rolled = status in ROLLED_BACK
    return {"stop_status": status, "stop_message": ""} if rolled else None


def hook_continued(target, params, action):
    hooks = _deployment(action).get("lifecycleHookDetails") or []
    hook = next((h for h in hooks if h.get("hookId") == params["hook_id"]), None)
    return {"hook_id": params["hook_id"]} if hook and hook.get("status") == "SUCCEEDED" else None
