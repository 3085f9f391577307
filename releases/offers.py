"""Which operator actions AWS accepts in a target's current state, as last observed: read from the database only,
by the console (its buttons) and by a request (checked again before a row is made)."""

from releases.models import Deployment, OperatorAction

A = OperatorAction


def available(target):
    """kind -> the parameters of each action AWS accepts in the target's current state, as last observed."""
    if target.gone_since:  # the pipeline or its deployment group is gone from AWS: nothing would work
        return {}
    offered = {A.RELEASE_CHANGE: {}} if target.pipeline_name else {}
    execution = target.latest_execution()
    if execution and execution.status == "InProgress":
        offered[A.STOP_EXECUTION] = {"execution_id": execution.execution_id}
    failed = _failed_stage(target, execution)
    if failed:
        offered[A.RETRY_STAGE] = {"execution_id": execution.execution_id, "stage": failed}
    for approval in target.waiting_approvals()[:1]:  # parallel approvals are answered one after the other
        params = {"execution_id": approval["execution_id"], "stage": approval["stage"], "approval": approval["action"]}
        offered[A.APPROVE] = offered[A.REJECT] = params
    if target.is_ecs:
        return {**offered, **service_deployment_actions(target.latest_service_deployment())}
    deployment = current_deployment(target)
    if deployment and deployment.is_active:
        params = {"deployment_id": deployment.deployment_id}
        if deployment.status == "Ready":
            offered[A.REROUTE] = params
        if deployment.is_termination_wait:
            offered[A.TERMINATE_ORIGINAL] = params
        if not deployment.rollback_of:
            offered[A.ROLLBACK] = params
    previous = previous_revision(target)
    if previous:
        offered[A.REDEPLOY_PREVIOUS] = previous
    return offered


def service_deployment_actions(deployment):
    """ECS's own blue/green: Continue while a PAUSE hook awaits action, Roll back while it is IN_PROGRESS (what
    ContinueServiceDeployment and StopServiceDeployment accept)."""
    if deployment is None or deployment.status != "IN_PROGRESS":
        return {}
    params = {"deployment_id": deployment.deployment_id, "service_deployment_arn": deployment.arn}
    offered = {A.ROLLBACK: params}
    for hook in deployment.awaiting_hooks[:1]:
        offered[A.CONTINUE_HOOK] = {**params, "hook_id": hook["hookId"]}
    return offered


def current_deployment(target):
    return target.latest_deployment()


def _failed_stage(target, execution):
    if execution is None or execution.status != "Failed":
        return None
    for stage in target.pipeline_state.get("stages", []):
        if stage["execution_id"] == execution.execution_id and stage["status"] == "Failed":
            return stage["name"]
    return None


def previous_revision(target):
    """After a finished release: the task definition that ran before it (what ecspresso's rollback deploys)."""
    latest = target.latest_deployment()
    if latest is None or latest.status != "Succeeded" or latest.rollback_of:
        return None
    if target.deployments.filter(status__in=Deployment.ACTIVE).exists():
        return None
    before = (latest.blue or {}).get("task_definition") or latest.info.get("previous_task_definition")
    if not before or before == latest.task_definition_arn:
        return None
    return {"deployment_id": latest.deployment_id, "task_definition": before}
