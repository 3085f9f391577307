"""Store what a refresh saw, and record every observed change of status once in the audit history.

Called inside a transaction that holds the target's row lock, so two refreshes never record the same change.
"""

from datetime import datetime, timedelta

from dashboard import events
from dashboard.audit import AuditEvent, record
from releases.models import Deployment, Execution

FINISHED_EXECUTION = ("Succeeded", "Failed", "Stopped", "Superseded", "Cancelled")
ECR, CODE_SOURCES = "ECR", ("CodeCommit", "S3", "CodeStarSourceConnection")


def iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def plain(value):
    """A JSON-storable copy (datetimes as ISO 8601)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return iso(value)


class Observer:
    def __init__(self, target, seen, *, baseline):
        self.target = target
        self.seen = seen
        self.baseline = baseline  # the first refresh: what is already finished is history, not news
        self.changed = False

    def observe(self, event, params):
        """One observed change, recorded once: outcome observed, no actor."""
        is_deployment = event.startswith("deployment.")
        record(
            event,
            outcome=AuditEvent.OBSERVED,
            target_type="deployment" if is_deployment else "execution",
            target_id=params["deployment_id"] if is_deployment else params["execution_id"],
            scope=self.target.name,
            params=params,
        )

    def run(self):
        """Store what was read (a refresh that left out the pipeline leaves its stages and executions as known)."""
        if self.seen.state is not None:
            self.stages()
        executions = self.executions() if self.seen.executions is not None else {}
        self.deployments(executions)
        if self.seen.service is not None:
            from releases.worker import ecs_observe  # it uses this module's helpers

            self.changed |= ecs_observe.store(
                self.target, self.seen.service, self.observe, baseline=self.baseline, executions=executions
            )
        return self.changed

    # ---- pipeline ----------------------------------------------------------------------------

    def stages(self):
        stages = []
        for stage in self.seen.state.get("stageStates", []):
            latest = stage.get("latestExecution") or {}
            stages.append(
                {
                    "name": stage["stageName"],
                    "status": latest.get("status", ""),
                    "execution_id": latest.get("pipelineExecutionId", ""),
                    "transition_enabled": (stage.get("inboundTransitionState") or {}).get("enabled", True),
                    "actions": [_action(a) for a in stage.get("actionStates", [])],
                }
            )
        known = self.target.pipeline_state
        waiting_before = _waiting(self.target)
        declaration = self.seen.declaration
        state = {
            "stages": stages,
            "version": declaration["version"] if declaration else known.get("version"),
            "approvals": approvals(declaration) if declaration else known.get("approvals", []),
        }
        if state != {key: known.get(key) for key in state}:
            self.target.pipeline_state = state
            self.changed = True
        self._approval_events(waiting_before)

    def _approval_events(self, waiting_before):
        for key, approval in _waiting(self.target).items():
            if key not in waiting_before:
                self.observe(
                    events.APPROVAL_WAITING,
                    {
                        "execution_id": approval["execution_id"],
                        "stage": approval["stage"],
                        "action": approval["action"],
                        "summary": approval["custom_data"],
                        "url": approval["external_link"],
                        "expires_at": iso(approval["expires_at"]) or "",
                    },
                )

    def executions(self):
        ids = [summary["pipelineExecutionId"] for summary in self.seen.executions]
        stored = {e.execution_id: e for e in self.target.executions.filter(execution_id__in=ids)}
        providers = {s["name"]: s["provider"] for s in self.target.setup.get("sources", [])}
        by_id = {}
        for summary in self.seen.executions:
            execution_id = summary["pipelineExecutionId"]
            execution = stored.get(execution_id) or Execution(target=self.target, execution_id=execution_id)
            before = _snapshot(execution)
            new = execution.pk is None
            execution.status = summary.get("status", "")
            execution.status_summary = summary.get("statusSummary") or ""
            execution.trigger = plain(summary.get("trigger") or {})
            execution.started_at = summary.get("startTime")
            execution.updated_at = summary.get("lastUpdateTime")
            execution.source_revisions = plain(summary.get("sourceRevisions") or [])
            for revision in execution.source_revisions:
                provider = providers.get(revision.get("actionName"))
                if provider == ECR:
                    execution.image_digest = revision.get("revisionId") or ""
                elif provider in CODE_SOURCES:
                    execution.source_revision = revision.get("revisionId") or ""
            self._details(execution)
            self._stage_status(execution)
            if new or _snapshot(execution) != before:
                execution.save()
                self.changed = True
            self._execution_events(execution, before, new)
            by_id[execution_id] = execution
        return by_id

    def _details(self, execution):
        details = self.seen.action_details.get(execution.execution_id)
        if details is None:
            return
        execution.details_fetched = True
        for detail in details:
            variables = (detail.get("output") or {}).get("outputVariables") or {}
            if variables.get("ImageDigest"):
                execution.image_digest = variables["ImageDigest"]
                execution.image_tag = variables.get("ImageTag", "")
                execution.image_uri = variables.get("ImageURI", "")
                image = self.seen.images.get(execution.image_digest) or {}
                execution.image_pushed_at = image.get("imagePushedAt")

    def _stage_status(self, execution):
        stages = dict(execution.stages or {})
        for stage in self.target.pipeline_state.get("stages", []):
            if stage["execution_id"] != execution.execution_id:
                continue
            stages[stage["name"]] = stage["status"]
            if stage["name"] == self.target.deploy_stage and not self.target.is_ecs:  # ECS: ecs_links.py
                for action in stage["actions"]:
                    if action["name"] == self.target.deploy_action and action.get("external_id"):
                        execution.deployment_id = action["external_id"]
        execution.stages = stages

    def _execution_events(self, execution, before, new):
        if self.baseline and execution.status in FINISHED_EXECUTION:
            execution.started_recorded = True
            Execution.objects.filter(pk=execution.pk).update(started_recorded=True)
            return
        params = {"execution_id": execution.execution_id}
        if execution.deployment_id:
            params["deployment_id"] = execution.deployment_id
        if not execution.started_recorded and (execution.source_revisions or execution.status != "InProgress"):
            self.observe(
                events.EXECUTION_STARTED,
                {
                    **params,
                    "status": execution.status,
                    "trigger": execution.trigger.get("triggerType", ""),
                    "image_digest": execution.image_digest,
                    "image_tag": execution.image_tag,
                    "image_uri": execution.image_uri,
                    "image_pushed_at": iso(execution.image_pushed_at) or "",
                    "source_revision": execution.source_revision,
                    "started_at": iso(execution.started_at),
                },
            )
            execution.started_recorded = True
            Execution.objects.filter(pk=execution.pk).update(started_recorded=True)
        old_stages = before["stages"] or {}
        for name, status in (execution.stages or {}).items():
            if status == "Failed" and old_stages.get(name) != "Failed":
                self.observe(
                    events.STAGE_FAILED, {**params, "stage": name, "status": status, "message": self._stage_error(name)}
                )
        if execution.status in FINISHED_EXECUTION and (new or before["status"] != execution.status):
            self.observe(
                events.EXECUTION_FINISHED,
                {**params, "status": execution.status, "summary": execution.status_summary},
            )

    def _stage_error(self, name):
        for stage in self.target.pipeline_state.get("stages", []):
            if stage["name"] == name:
                return "; ".join(a["error"] for a in stage["actions"] if a.get("error"))
        return ""

    # ---- deployments -------------------------------------------------------------------------

    def deployments(self, executions):
        ids = set(self.seen.deployments) | set(self.seen.targets)
        for info in self.seen.deployments.values():
            rollback = info.get("rollbackInfo") or {}
            ids |= {rollback.get("rollbackDeploymentId"), rollback.get("rollbackTriggeringDeploymentId")} - {None}
        stored = {d.deployment_id: d for d in self.target.deployments.filter(deployment_id__in=ids)}
        linked = self.target.executions.filter(deployment_id__in=ids).values_list("deployment_id", "execution_id")
        by_deployment = {**dict(linked), **{e.deployment_id: i for i, e in executions.items() if e.deployment_id}}
        recent = self.target.deployments.order_by("-created_at", "-id")[: Deployment.RECENT_WITH_DETAILS]
        task_sets = {**_known_task_sets([*recent, *stored.values()]), **self.seen.task_sets}
        infos = sorted(self.seen.deployments.values(), key=lambda i: i.get("createTime") or datetime.min)
        # Deployments whose ECS target alone was read (while events tell the rest): their stored details stay.
        targets_only = [(i, None) for i in self.seen.targets if i not in self.seen.deployments and i in stored]
        for deployment_id, info in [(i["deploymentId"], i) for i in infos] + targets_only:
            deployment = stored.get(deployment_id) or Deployment(target=self.target, deployment_id=deployment_id)
            new = deployment.pk is None
            before = _snapshot(deployment)
            if info is not None:
                self._info(deployment, info, stored, by_deployment)
            ecs_target = self.seen.targets.get(deployment_id)
            if ecs_target is not None:
                deployment.lifecycle_events = [_lifecycle(e) for e in ecs_target.get("lifecycleEvents", [])]
                deployment.task_sets = [_task_set(t, task_sets) for t in ecs_target.get("taskSetsInfo", [])]
                deployment.info["target_status"] = ecs_target.get("status", "")
                green = deployment.green
                if green and green.get("task_definition"):
                    deployment.task_definition_arn = green["task_definition"]
                if info is None:
                    _status_from_target(deployment, ecs_target.get("status", ""))
            deployment.termination_wait_started = deployment.termination_wait_started or _in_termination_wait(
                deployment, info or {}
            )
            self._waits(deployment)
            if new or _snapshot(deployment) != before:
                deployment.save()
                self.changed = True
            self._deployment_events(deployment, before, new)
            stored[deployment_id] = deployment

    def _info(self, deployment, info, stored, by_deployment):
        """What batch_get_deployments said of it."""
        deployment_id = deployment.deployment_id
        rollback = info.get("rollbackInfo") or {}
        error = info.get("errorInformation") or {}
        deployment.status = info.get("status", "")
        deployment.creator = info.get("creator") or ""
        deployment.description = info.get("description") or ""
        deployment.created_at = info.get("createTime")
        deployment.completed_at = info.get("completeTime")
        deployment.error_code = error.get("code") or ""
        deployment.error_message = error.get("message") or ""
        deployment.rollback_deployment_id = rollback.get("rollbackDeploymentId") or ""
        deployment.rollback_of = rollback.get("rollbackTriggeringDeploymentId") or ""
        deployment.rollback_message = rollback.get("rollbackMessage") or ""
        deployment.execution_id = (
            by_deployment.get(deployment_id)
            or by_deployment.get(deployment.rollback_of)
            or (stored[deployment.rollback_of].execution_id if deployment.rollback_of in stored else "")
            or deployment.execution_id
        )
        deployment.info = {
            **deployment.info,
            **plain(
                {
                    "status_messages": info.get("deploymentStatusMessages") or [],
                    "config": info.get("deploymentConfigName"),
                    "blue_green": info.get("blueGreenDeploymentConfiguration") or {},
                    "overview": info.get("deploymentOverview") or {},
                }
            ),
        }
        if deployment_id in self.seen.previous:
            deployment.info["previous_task_definition"] = self.seen.previous[deployment_id]

    def _waits(self, deployment):
        blue_green = deployment.info.get("blue_green") or {}
        ready = blue_green.get("deploymentReadyOption") or {}
        terminate = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
        ended = {e["name"]: e.get("end") for e in deployment.lifecycle_events}
        if deployment.status == "Ready" and ready.get("actionOnTimeout") == "STOP_DEPLOYMENT":
            since = _parse(ended.get("AfterAllowTestTraffic") or ended.get("AllowTestTraffic"))
            if since and not deployment.ready_wait_ends_at:
                deployment.ready_wait_ends_at = since + timedelta(minutes=int(ready.get("waitTimeInMinutes") or 0))
        if deployment.termination_wait_started and not deployment.termination_wait_ends_at:
            since = _parse(ended.get("AfterAllowTraffic"))
            if since:
                minutes = int(terminate.get("terminationWaitTimeInMinutes") or 0)
                deployment.termination_wait_ends_at = since + timedelta(minutes=minutes)

    def _deployment_events(self, deployment, before, new):
        if self.baseline and not deployment.is_active:
            return
        params = {"deployment_id": deployment.deployment_id}
        if deployment.execution_id:
            params["execution_id"] = deployment.execution_id
        if new:
            self.observe(
                events.DEPLOYMENT_CREATED,
                {
                    **params,
                    "status": deployment.status,
                    "creator": deployment.creator,
                    "rollback_of": deployment.rollback_of,
                },
            )
        old_events = {e["name"]: e["status"] for e in before["lifecycle_events"] or []}
        for event in deployment.lifecycle_events:
            if event["status"] not in ("Pending", old_events.get(event["name"], "Pending")):
                self.observe(events.LIFECYCLE_EVENT, {**params, "event": event["name"], "status": event["status"]})
        status, old_status = deployment.status, before["status"]
        if status == "Ready" and old_status != "Ready":
            self.observe(
                events.DEPLOYMENT_READY, {**params, "ready_wait_ends_at": iso(deployment.ready_wait_ends_at) or ""}
            )
        old_green = _green_weight(before["task_sets"])
        if not deployment.rollback_of and deployment.green_weight >= 100 and old_green < 100:
            self.observe(events.TRAFFIC_REROUTED, {**params, "green_weight": deployment.green_weight})
        if deployment.rollback_deployment_id and not before["rollback_deployment_id"]:
            self.observe(
                events.ROLLED_BACK,
                {
                    **params,
                    "rollback_deployment_id": deployment.rollback_deployment_id,
                    "message": deployment.rollback_message,
                },
            )
        if status in Deployment.FINISHED and (new or old_status != status):
            if status == "Succeeded" and _terminated_original(deployment):
                self.observe(events.ORIGINAL_TERMINATED, params)
            self.observe(
                events.DEPLOYMENT_FINISHED,
                {
                    **params,
                    "status": status,
                    "error_code": deployment.error_code,
                    "error_message": deployment.error_message,
                    "rollback_of": deployment.rollback_of,
                },
            )


def _status_from_target(deployment, target_status):
    """A running deployment's status as its ECS target shows it, when only the target was read: Ready while it
    waits for a reroute, InProgress once it goes on. Its end comes as an event, and batch_get_deployments says it."""
    if deployment.status in Deployment.ACTIVE and target_status in ("Ready", "InProgress"):
        deployment.status = target_status


def _in_termination_wait(deployment, info):
    """CodeDeploy does not set instanceTerminationWaitTimeStarted for ECS deployments (aws/containers-roadmap#269):
    the wait shows as a deployment still InProgress whose ECS target has already Succeeded (traffic moved, every
    lifecycle event done) while the original task set waits to be terminated."""
    if info.get("instanceTerminationWaitTimeStarted"):
        return True
    if deployment.status != "InProgress" or deployment.rollback_of:
        return False
    ended = {e["name"]: e["status"] for e in deployment.lifecycle_events}
    return deployment.info.get("target_status") == "Succeeded" or ended.get("AfterAllowTraffic") == "Succeeded"


def _terminated_original(deployment):
    """A release that ended by terminating its original task set (seen in its wait, or gone since)."""
    if deployment.rollback_of:
        return False
    if deployment.termination_wait_started:
        return True
    terminate = (deployment.info.get("blue_green") or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
    return bool(deployment.blue) and terminate.get("action", "TERMINATE") == "TERMINATE"


def _waiting(target):
    return {(a["stage"], a["action"], a["execution_id"]): a for a in target.waiting_approvals()}


def approvals(declaration):
    """The pipeline's manual approval actions, with the summary and link their configuration gives reviewers."""
    return [
        {
            "stage": stage["name"],
            "action": action["name"],
            "custom_data": (action.get("configuration") or {}).get("CustomData", ""),
            "external_link": (action.get("configuration") or {}).get("ExternalEntityLink", ""),
        }
        for stage in declaration.get("stages", [])
        for action in stage.get("actions", [])
        if action.get("actionTypeId", {}).get("category") == "Approval"
    ]


def _action(state):
    latest = state.get("latestExecution") or {}
    return {
        "name": state["actionName"],
        "status": latest.get("status", ""),
        "summary": latest.get("summary") or "",
        "changed_at": iso(latest.get("lastStatusChange")),
        "external_id": latest.get("externalExecutionId") or "",
        "external_url": latest.get("externalExecutionUrl") or "",
        "error": (latest.get("errorDetails") or {}).get("message") or "",
        "revision": (state.get("currentRevision") or {}).get("revisionId") or "",
    }


def _lifecycle(event):
    return {
        "name": event.get("lifecycleEventName", ""),
        "status": event.get("status", ""),
        "start": iso(event.get("startTime")),
        "end": iso(event.get("endTime")),
        "message": ((event.get("diagnostics") or {}).get("message")) or "",
    }


def _task_set(info, known):
    identifier = info.get("identifer") or info.get("identifier") or ""
    details = known.get(identifier) or {}
    return {
        "id": identifier,
        "label": (info.get("taskSetLabel") or "").upper(),
        "status": info.get("status", ""),
        "weight": float(info.get("trafficWeight") or 0),
        "desired": info.get("desiredCount", 0),
        "running": info.get("runningCount", 0),
        "pending": info.get("pendingCount", 0),
        "target_group": (info.get("targetGroup") or {}).get("name", ""),
        "task_definition": details.get("task_definition", ""),
        "image": details.get("image", ""),
    }


def _known_task_sets(deployments):
    known = {}
    for deployment in deployments:
        for task_set in deployment.task_sets or []:
            if task_set.get("task_definition"):
                known[task_set["id"]] = {"task_definition": task_set["task_definition"], "image": task_set["image"]}
    return known


def _green_weight(task_sets):
    green = next((t for t in task_sets or [] if t.get("label") == "GREEN"), None)
    return float(green.get("weight") or 0) if green else 0.0


def _parse(value):
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if value else None


def _snapshot(obj):
    """The stored fields, to tell whether a refresh changed anything (a new row has no status yet)."""
    fields = [f.attname for f in obj._meta.concrete_fields if f.attname not in ("id", "target_id")]
    data = {name: getattr(obj, name) for name in fields}
    if obj.pk is None:
        data["status"] = None
    return data
