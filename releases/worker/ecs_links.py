"""Which pipeline execution started an ECS service deployment, for a target tracked by its pipeline's ECS deploy action.

AWS names no link between the two. The Amazon ECS deploy action's reference documents no output variables, and
not what its externalExecutionId and summary hold: the action updates the service, and ECS starts a service
deployment with an ARN of its own. What AWS does give, on its own clock on both sides, is time: get_pipeline_state
shows the deploy action's status and lastStatusChange (for an action in progress, when it started) and the execution
it runs in; describe_service_deployments shows when ECS created the deployment. So a service deployment belongs to
the execution whose deploy action was running when it was created: the first one created after the action started
(the action updates the service as it starts), or, for an action only seen finished, the last one created between
the execution's start and the action's end (an earlier one there is the deployment of the execution before, which
held the deploy stage until then). One per run of the action (a retried stage runs it again); a deployment nothing
links stays unlinked (an update_service made by hand).
"""

from datetime import datetime, timedelta

from releases.service_deployments import ServiceDeployment

FINISHED_ACTION = ("Succeeded", "Failed", "Abandoned")
PRECISION = timedelta(seconds=1)  # AWS's times come to the millisecond or to the second, depending on the API


def deploy_window(target, executions):
    """(execution id, since, until) of the deploy action's latest run as the stored pipeline state shows it (until:
    None while it runs), or None when it has not started. `executions`: Execution rows by id, read this refresh."""
    stage = next((s for s in target.pipeline_state.get("stages", []) if s["name"] == target.deploy_stage), None)
    if stage is None or not stage.get("execution_id"):
        return None
    action = next((a for a in stage["actions"] if a["name"] == target.deploy_action), None)
    if action is None or not action.get("changed_at"):
        return None
    execution_id, changed_at = stage["execution_id"], datetime.fromisoformat(action["changed_at"])
    if action["status"] == "InProgress":
        return execution_id, changed_at - PRECISION, None
    if action["status"] not in FINISHED_ACTION:
        return None
    execution = executions.get(execution_id) or target.executions.filter(execution_id=execution_id).first()
    if execution is None or execution.started_at is None:
        return None
    return execution_id, execution.started_at - PRECISION, changed_at + PRECISION


def link(target, executions):
    """Link the service deployment the deploy action started to its execution (both ways: the deployment's
    execution_id, the execution's deployment_id). Returns (deployment pk, execution id) when it linked one now."""
    window = deploy_window(target, executions)
    if window is None:
        return None
    execution_id, since, until = window
    deployments = target.service_deployments
    if deployments.filter(execution_id=execution_id, created_at__gte=since).exists():  # this run's is linked
        return None
    candidates = deployments.filter(execution_id="", created_at__gte=since).order_by("created_at", "id")
    if until is not None:
        candidates = candidates.filter(created_at__lte=until).reverse()
    found = candidates.values_list("pk", "deployment_id").first()
    if found is None:
        return None
    pk, deployment_id = found
    ServiceDeployment.objects.filter(pk=pk).update(execution_id=execution_id)
    target.executions.filter(execution_id=execution_id).update(deployment_id=deployment_id)
    if execution_id in executions:
        executions[execution_id].deployment_id = deployment_id
    return pk, execution_id
