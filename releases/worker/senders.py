"""The AWS call behind each operator action, with AWS's request id for the audit history, and how to tell from
AWS's state whether an action whose worker died mid-call was applied. Runs in workers only."""

import json

from dashboard import aws
from releases.models import OperatorAction as A
from releases.worker import ecs_senders


def call(action, service, operation, /, **params):
    """aws.call on the action's connection, with AWS's request id for the audit history."""
    response = aws.call(service, operation, action.connection(), **params)
    return response, response.request_id


def _release_change(target, params, action):
    answer, request_id = call(
        action,
        "codepipeline",
        "start_pipeline_execution",
        name=target.pipeline_name,
        clientRequestToken=f"bluegreen-action-{action.pk}",
    )
    return {"execution_id": answer.get("pipelineExecutionId", "")}, request_id


def _stop_execution(target, params, action):
    answer, request_id = call(
        action,
        "codepipeline",
        "stop_pipeline_execution",
        pipelineName=target.pipeline_name,
        pipelineExecutionId=params["execution_id"],
        abandon=bool(params.get("abandon")),
        reason=f"{action.requested_by or 'dashboard'}: {action.reason}"[:200],
    )
    return {"execution_id": answer.get("pipelineExecutionId", "")}, request_id


def _retry_stage(target, params, action):
    answer, request_id = call(
        action,
        "codepipeline",
        "retry_stage_execution",
        pipelineName=target.pipeline_name,
        stageName=params["stage"],
        pipelineExecutionId=params["execution_id"],
        retryMode="FAILED_ACTIONS",
    )
    return {"execution_id": answer.get("pipelineExecutionId", "")}, request_id


def _continue(wait_type):
    def send_continue(target, params, action):
        _, request_id = call(
            action,
            "codedeploy",
            "continue_deployment",
            deploymentId=params["deployment_id"],
            deploymentWaitType=wait_type,
        )
        return {}, request_id

    return send_continue


def _rollback(target, params, action):
    if target.is_ecs:
        return ecs_senders.rollback(target, params, action)
    answer, request_id = call(
        action, "codedeploy", "stop_deployment", deploymentId=params["deployment_id"], autoRollbackEnabled=True
    )
    return {"stop_status": answer.get("status", ""), "stop_message": answer.get("statusMessage", "")}, request_id


def _redeploy_previous(target, params, action):
    container = target.setup.get("container") or {}
    appspec = {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "TaskDefinition": params["task_definition"],
                        "LoadBalancerInfo": {
                            "ContainerName": container.get("name", ""),
                            "ContainerPort": container.get("port", 80),
                        },
                    },
                }
            }
        ],
    }
    answer, request_id = call(
        action,
        "codedeploy",
        "create_deployment",
        applicationName=target.application_name,
        deploymentGroupName=target.deployment_group_name,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(appspec)}},
        description=_redeploy_description(action),
    )
    return {"new_deployment_id": answer.get("deploymentId", "")}, request_id


def _answer_approval(status):
    def send_answer(target, params, action):
        """put_approval_result needs the token of the approval's current run, which only get_pipeline_state gives
        (read now: a token read at an earlier refresh may belong to a run that has ended)."""
        _, request_id = call(
            action,
            "codepipeline",
            "put_approval_result",
            pipelineName=target.pipeline_name,
            stageName=params["stage"],
            actionName=params["approval"],
            result={"summary": action.reason[:512], "status": status},
            token=_approval_token(target, params, action),
        )
        return {"approval_status": status}, request_id

    return send_answer


def _approval_run(target, params, action):
    """The approval action's latest run in get_pipeline_state, when it is the run of the execution asked about."""
    stage = _stage_state(target, params["stage"], action)
    if (stage.get("latestExecution") or {}).get("pipelineExecutionId") != params["execution_id"]:
        return {}
    for state_of_action in stage.get("actionStates", []):
        if state_of_action.get("actionName") == params["approval"]:
            return state_of_action.get("latestExecution") or {}
    return {}


def _stage_state(target, name, action):
    """One stage of get_pipeline_state, read now ({} when the pipeline has no such stage)."""
    state = aws.call("codepipeline", "get_pipeline_state", action.connection(), name=target.pipeline_name)
    return next((stage for stage in state.get("stageStates", []) if stage.get("stageName") == name), {})


def _approval_token(target, params, action):
    run = _approval_run(target, params, action)
    if run.get("status") != "InProgress" or not run.get("token"):
        raise aws.AwsError(
            "ApprovalNotWaiting",
            f"The approval {params['stage']}/{params['approval']} of execution {params['execution_id']} no longer "
            f"waits (it is {run.get('status') or 'not running'}).",
        )
    return run["token"]


SENDERS = {
    A.RELEASE_CHANGE: _release_change,
    A.STOP_EXECUTION: _stop_execution,
    A.RETRY_STAGE: _retry_stage,
    A.REROUTE: _continue("READY_WAIT"),
    A.ROLLBACK: _rollback,
    A.TERMINATE_ORIGINAL: _continue("TERMINATION_WAIT"),
    A.REDEPLOY_PREVIOUS: _redeploy_previous,
    A.APPROVE: _answer_approval("Approved"),
    A.REJECT: _answer_approval("Rejected"),
    A.CONTINUE_HOOK: ecs_senders.continue_hook,
}


# ---- was it applied? (for an action whose worker died after sending it) ------------------------------------
# Each returns what the action's result would have said when AWS's state shows it applied, or None when AWS shows
# it was not. Release change needs no look: its client request token makes a repeat the same execution.


def _redeploy_description(action):
    """Who and why, then the marker that finds this deployment again (CodeDeploy keeps 1,000 characters)."""
    said = f"Redeploy previous revision, by {action.requested_by or 'dashboard'}: {action.reason}"
    marker = redeploy_marker(action)
    return f"{said[: 1000 - len(marker) - 1]} {marker}"


def redeploy_marker(action):
    return f"[bluegreen-action-{action.pk}]"


def _deployment(action):
    answer = aws.call("codedeploy", "get_deployment", action.connection(), deploymentId=action.params["deployment_id"])
    return answer["deploymentInfo"]


def _stopped_execution(target, params, action):
    execution = aws.call(
        "codepipeline",
        "get_pipeline_execution",
        action.connection(),
        pipelineName=target.pipeline_name,
        pipelineExecutionId=params["execution_id"],
    )["pipelineExecution"]
    return {"execution_id": params["execution_id"]} if execution["status"] in ("Stopping", "Stopped") else None


def _retried_stage(target, params, action):
    stage = _stage_state(target, params["stage"], action)
    if not stage:
        return None
    latest = stage.get("latestExecution") or {}
    retried = latest.get("pipelineExecutionId") == params["execution_id"] and latest.get("status") != "Failed"
    return {"execution_id": params["execution_id"]} if retried else None


def _rerouted(target, params, action):
    """Traffic was rerouted once the deployment has left Ready for the steps after it."""
    return {} if _deployment(action)["status"] in ("InProgress", "Succeeded") else None


def _terminated(target, params, action):
    """The original task set is gone once the deployment has succeeded."""
    return {} if _deployment(action)["status"] == "Succeeded" else None


def _rolled_back(target, params, action):
    if target.is_ecs:
        return ecs_senders.rolled_back(target, params, action)
    info = _deployment(action)
    if info["status"] in ("Stopped", "Failed") or info.get("rollbackInfo"):
        return {"stop_status": info["status"], "stop_message": ""}
    return None


def _redeployed(target, params, action):
    started = action.started_at or action.created_at
    ids = aws.paginate(
        "codedeploy",
        "list_deployments",
        "deployments",
        action.connection(),
        applicationName=target.application_name,
        deploymentGroupName=target.deployment_group_name,
        createTimeRange={"start": started.timestamp() - 300},
    )
    marker = redeploy_marker(action)
    for start in range(0, len(ids), 25):
        infos = aws.call(
            "codedeploy", "batch_get_deployments", action.connection(), deploymentIds=ids[start : start + 25]
        )
        for info in infos.get("deploymentsInfo", []):
            if marker in (info.get("description") or ""):
                return {"new_deployment_id": info["deploymentId"]}
    return None


def _answered(status):
    def answered(target, params, action):
        """Approved shows as the action Succeeded, rejected as Failed (as does an expiry: the reconcile cannot tell
        the two apart, and either way the approval no longer waits)."""
        run = _approval_run(target, params, action)
        done = {"Approved": "Succeeded", "Rejected": "Failed"}[status]
        return {"approval_status": status} if run.get("status") == done else None

    return answered


APPLIED = {
    A.STOP_EXECUTION: _stopped_execution,
    A.RETRY_STAGE: _retried_stage,
    A.REROUTE: _rerouted,
    A.ROLLBACK: _rolled_back,
    A.TERMINATE_ORIGINAL: _terminated,
    A.REDEPLOY_PREVIOUS: _redeployed,
    A.APPROVE: _answered("Approved"),
    A.REJECT: _answered("Rejected"),
    A.CONTINUE_HOOK: ecs_senders.hook_continued,
}

# Kinds whose call carries an idempotency token: sent again, AWS answers with what the first sending made.
RESENT_WITH_TOKEN = (A.RELEASE_CHANGE,)
