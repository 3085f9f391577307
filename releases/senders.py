"""The AWS call behind each operator action, with AWS's request id for the audit history. Runs in workers only."""

import json

from dashboard import aws

from .models import OperatorAction as A


def call(service, operation, /, **params):
    """aws.call, with AWS's request id for the audit history."""
    response = aws.call(service, operation, **params)
    return response, response.request_id


def _release_change(target, params, action):
    answer, request_id = call(
        "codepipeline",
        "start_pipeline_execution",
        name=target.pipeline_name,
        clientRequestToken=f"bluegreen-action-{action.pk}",
    )
    return {"execution_id": answer.get("pipelineExecutionId", "")}, request_id


def _stop_execution(target, params, action):
    answer, request_id = call(
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
            "codedeploy", "continue_deployment", deploymentId=params["deployment_id"], deploymentWaitType=wait_type
        )
        return {}, request_id

    return send_continue


def _rollback(target, params, action):
    answer, request_id = call(
        "codedeploy", "stop_deployment", deploymentId=params["deployment_id"], autoRollbackEnabled=True
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
        "codedeploy",
        "create_deployment",
        applicationName=target.application_name,
        deploymentGroupName=target.deployment_group_name,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(appspec)}},
        description=f"Redeploy previous revision, by {action.requested_by or 'dashboard'}: {action.reason}"[:1000],
    )
    return {"new_deployment_id": answer.get("deploymentId", "")}, request_id


SENDERS = {
    A.RELEASE_CHANGE: _release_change,
    A.STOP_EXECUTION: _stop_execution,
    A.RETRY_STAGE: _retry_stage,
    A.REROUTE: _continue("READY_WAIT"),
    A.ROLLBACK: _rollback,
    A.TERMINATE_ORIGINAL: _continue("TERMINATION_WAIT"),
    A.REDEPLOY_PREVIOUS: _redeploy_previous,
}
