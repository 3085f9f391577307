"""The state-change events CodePipeline and CodeDeploy publish to EventBridge, delivered as AWS delivers them.

After every transition (and before each run of due transitions, for what an API call changed) each pipeline
execution, stage, action and deployment of the region is compared with what was last announced, and each change
becomes one event on the default bus (`triggers.deliver`), with the source, detail-type and detail fields of the
CodePipeline user guide ("Monitoring CodePipeline events") and the CodeDeploy user guide ("Monitoring deployments
with Amazon EventBridge"): "CodePipeline Pipeline Execution State Change", "CodePipeline Stage Execution State
Change", "CodePipeline Action Execution State Change", "CodeDeploy Deployment State-change Notification"; and ECS's
"ECS Deployment State Change" for blue/green service deployments (ECS developer guide, "Amazon ECS service deployment
state change events"), each event as the deployment recorded it, none lost between two looks.
CodeDeploy publishes no event when traffic is rerouted or a lifecycle event ends: only START (once), READY,
SUCCESS, FAILURE, STOP. Something that started and ended between two looks shows as its end only.
"""

import logging
from datetime import timedelta

from sandbox.aws import ClientError
from sandbox.triggers import deliver, event

log = logging.getLogger("sandbox")

EXECUTION = {
    "InProgress": "STARTED",
    "Stopping": "STOPPING",
    "Succeeded": "SUCCEEDED",
    "Failed": "FAILED",
    "Stopped": "STOPPED",
    "Superseded": "SUPERSEDED",
    "Cancelled": "CANCELED",
}
STAGE = {k: v for k, v in EXECUTION.items() if k != "Superseded"}
ACTION = {"InProgress": "STARTED", "Succeeded": "SUCCEEDED", "Failed": "FAILED", "Abandoned": "ABANDONED"}
DEPLOYMENT = {"InProgress": "START", "Ready": "READY", "Succeeded": "SUCCESS", "Failed": "FAILURE", "Stopped": "STOP"}
FINAL = {"SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED", "CANCELED", "ABANDONED", "SUCCESS", "FAILURE", "STOP"}
# An object first seen already finished this long ago (state loaded after a restart) is history, not news.
OLD = timedelta(seconds=60)


class Announcer:
    """What was last announced of each execution, stage, action and deployment of one region."""

    def __init__(self):
        self.said: dict[tuple, str] = {}

    def announce(self, rs) -> None:
        for execution in list(rs.codepipeline.executions.values()):
            self._execution(rs, execution)
        for deployment in list(rs.codedeploy.deployments.values()):
            self._deployment(rs, deployment)
        for service_deployment in list(rs.ecs_native.deployments.values()):
            self._service_deployment(rs, service_deployment)

    def _changed(self, rs, key: tuple, state: str | None, finished_at) -> str | None:
        """The state to announce for `key`, or None: unchanged, unknown, or old history."""
        before = self.said.get(key)
        if state is None or state == before:
            return None
        self.said[key] = state
        if before is None and state in FINAL and finished_at and rs.now() - finished_at > OLD:
            return None
        if before in FINAL and state == "STARTED":
            return "RESUMED"  # a retried stage: the execution and the stage go on
        return state

    def _execution(self, rs, ex) -> None:
        if ex.done and self.said.get(("execution", ex.id)) in FINAL:
            return
        common = {
            "pipeline": ex.pipeline,
            "version": float(ex.version),
            "execution-id": ex.id,
            "start-time": _time(ex.start),
            "pipeline-execution-attempt": 1.0,
        }
        resources = [f"arn:aws:codepipeline:{rs.name}:{rs.account}:{ex.pipeline}"]
        state = self._changed(rs, ("execution", ex.id), EXECUTION.get(ex.status), ex.updated)
        ending = state in FINAL
        if state and not ending:
            trigger = {"trigger-type": ex.trigger.get("triggerType"), "trigger-detail": ex.trigger.get("triggerDetail")}
            self._send(rs, "Pipeline Execution", resources, {**common, "execution-trigger": trigger, "state": state})
        for run in ex.actions:
            if run.status == "InProgress":
                self._stage(rs, ex, run.stage, resources, common)
            self._action(rs, run, resources, common)
        for stage in ex.stage_status:
            self._stage(rs, ex, stage, resources, common)
        if ending:
            self._send(rs, "Pipeline Execution", resources, {**common, "state": state})

    def _stage(self, rs, ex, stage, resources, common) -> None:
        state = self._changed(rs, ("stage", ex.id, stage), STAGE.get(ex.stage_status.get(stage, "")), ex.updated)
        if state:
            self._send(rs, "Stage Execution", resources, {**common, "stage": stage, "state": state})

    def _action(self, rs, run, resources, common) -> None:
        state = self._changed(rs, ("action", run.id), ACTION.get(run.status), run.updated)
        if not state:
            return
        detail = {
            **common,
            "stage": run.stage,
            "action": run.name,
            "state": state,
            "region": rs.name,
            "type": run.declaration["actionTypeId"],
        }
        if state in FINAL:
            result = {"external-execution-summary": run.summary, "external-execution-id": run.external_id}
            if run.error:
                result["error-code"] = run.error.get("code")
            detail["execution-result"] = {k: v for k, v in result.items() if v}
        self._send(rs, "Action Execution", resources, detail)

    def _deployment(self, rs, deployment) -> None:
        status = DEPLOYMENT.get(deployment.status)
        state = self._changed(rs, ("deployment", deployment.id), status, deployment.complete_time)
        if state == "RESUMED" or (state == "START" and ("started", deployment.id) in self.said):
            return  # START once: going on after a reroute wait publishes nothing
        if state == "START":
            self.said[("started", deployment.id)] = state
        if not state:
            return
        application, group = deployment.application, deployment.group["name"]
        prefix = f"arn:aws:codedeploy:{rs.name}:{rs.account}"
        detail = {
            "instanceGroupId": deployment.group.get("deploymentGroupId", ""),
            "region": rs.name,
            "application": application,
            "deploymentId": deployment.id,
            "state": state,
            "deploymentGroup": group,
        }
        resources = [f"{prefix}:application:{application}", f"{prefix}:deploymentgroup:{application}/{group}"]
        _deliver(rs, event(rs, "aws.codedeploy", "CodeDeploy Deployment State-change Notification", resources, detail))

    def _service_deployment(self, rs, deployment) -> None:
        """ECS's "ECS Deployment State Change" events, each as the deployment recorded it (ecs_deployments.py)."""
        key = ("ecs-deployment", deployment.arn)
        sent = self.said.get(key)
        if sent is None:  # first seen (state loaded after a restart): what happened long ago is history
            sent = sum(1 for e in deployment.events if rs.now() - e["updatedAt"] > OLD)
        for recorded in deployment.events[sent:]:
            detail = {**recorded, "updatedAt": recorded["updatedAt"].strftime("%Y-%m-%dT%H:%M:%SZ")}
            _deliver(rs, event(rs, "aws.ecs", "ECS Deployment State Change", [deployment.service_arn], detail))
        self.said[key] = len(deployment.events)

    @staticmethod
    def _send(rs, kind: str, resources: list, detail: dict) -> None:
        _deliver(rs, event(rs, "aws.codepipeline", f"CodePipeline {kind} State Change", resources, detail))


def _deliver(rs, message: dict) -> None:
    try:
        deliver(rs, message)
    except ClientError as error:  # EventBridge's trouble loses the event; the transitions go on
        log.warning("event %s not delivered: %s", message["detail-type"], error)


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
