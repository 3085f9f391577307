"""Store what a refresh saw of an ECS blue/green service's deployments, and record each observed change once in
the audit history (in the refresh's transaction, under the target's row lock, as observe.py does). A deployment the
pipeline's deploy action started is linked to its execution first (ecs_links.py), so its events name the execution
as a CodeDeploy deployment's do, and the history and insights count it alike."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from dashboard import events
from releases.service_deployments import FINISHED, ROLLED_BACK, STAGES, ServiceDeployment
from releases.worker import ecs_links

# Production traffic is all on the target revision once its shift is over (LINEAR and CANARY shift in steps).
TRAFFIC_MOVED = STAGES[STAGES.index("PRODUCTION_TRAFFIC_SHIFT") + 1 :]


def plain(value):
    """A JSON-storable copy (datetimes as ISO 8601)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def store(target, seen, observe, *, baseline, executions=None):
    """Save the service deployments seen, link the one the pipeline's deploy action started to its execution (of
    `executions`, the Execution rows this refresh read, or stored), then record what changed; True when anything
    the console shows changed."""
    changed, saved = False, []
    stored = {d.arn: d for d in target.service_deployments.filter(arn__in=list(seen.deployments))}
    views = sorted(seen.deployments.values(), key=lambda v: str(v.get("createdAt") or ""))
    for view in views:
        arn = view["serviceDeploymentArn"]
        deployment = stored.get(arn) or ServiceDeployment(target=target, arn=arn, deployment_id=arn.rsplit("/", 1)[-1])
        new, before = deployment.pk is None, _snapshot(deployment)
        _fill(deployment, view, seen)
        if new or _snapshot(deployment) != before:
            deployment.save()
            changed = True
        saved.append((deployment, before, new))
    linked = ecs_links.link(target, executions or {}) if target.pipeline_name else None
    for deployment, before, new in saved:
        if linked and deployment.pk == linked[0]:
            deployment.execution_id = linked[1]
        _events(deployment, before, new, observe, baseline)
    return changed or linked is not None


def _fill(deployment, view, seen):
    stage = view.get("lifecycleStage") or ""
    if stage != deployment.lifecycle_stage:
        deployment.stage_since = view.get("updatedAt")
    deployment.lifecycle_stage = stage
    deployment.status = view.get("status", "")
    deployment.status_reason = view.get("statusReason") or ""
    for name in ("created", "started", "finished", "stopped", "updated"):
        setattr(deployment, f"{name}_at", view.get(f"{name}At"))
    deployment.source_revisions = [_revision(s, seen) for s in view.get("sourceServiceRevisions", [])]
    deployment.target_revision = _revision(view.get("targetServiceRevision") or {}, seen)
    stages = {h.get("hookId"): h.get("stage") for h in deployment.hooks}
    deployment.hooks = [
        {**plain(hook), "stage": stages.get(hook.get("hookId")) or stage}
        for hook in view.get("lifecycleHookDetails", [])
    ]
    deployment.rollback = plain(view.get("rollback") or {})
    deployment.config = plain(view.get("deploymentConfiguration") or {})
    if seen.rules is not None and (deployment.is_active or deployment.pk is None or not deployment.traffic):
        deployment.traffic = seen.rules


def _revision(summary, seen):
    details = seen.revisions.get(summary.get("arn"), {})
    return {
        "arn": summary.get("arn", ""),
        "task_definition": details.get("task_definition", ""),
        "image": details.get("image", ""),
        "target_group": details.get("target_group", ""),
        "requested": summary.get("requestedTaskCount", 0),
        "running": summary.get("runningTaskCount", 0),
        "production_weight": summary.get("requestedProductionTrafficWeight"),
        "test_weight": summary.get("requestedTestTrafficWeight"),
    }


def _events(deployment, before, new, observe, baseline):
    if baseline and not deployment.is_active:
        return
    params = {"deployment_id": deployment.deployment_id, "service_deployment_arn": deployment.arn}
    if deployment.execution_id:
        params["execution_id"] = deployment.execution_id
    if new:
        observe(events.DEPLOYMENT_CREATED, {**params, "status": deployment.status, "engine": "ecs"})
    if deployment.lifecycle_stage and deployment.lifecycle_stage != before["lifecycle_stage"]:
        observe(events.LIFECYCLE_EVENT, {**params, "event": deployment.lifecycle_stage, "status": deployment.status})
    status, old = deployment.status, before["status"]
    if _traffic_moved(status, deployment.lifecycle_stage) and not _traffic_moved(old, before["lifecycle_stage"]):
        observe(events.TRAFFIC_REROUTED, {**params, "green_weight": 100})
    if status in ROLLED_BACK and old not in ROLLED_BACK:  # a rollback seen only at its end is one too
        observe(events.ROLLED_BACK, {**params, "rollback_deployment_id": "", "message": deployment.status_reason})
    if status in FINISHED and (new or old != status):
        observe(
            events.DEPLOYMENT_FINISHED,
            {
                **params,
                "status": deployment.outcome,
                "ecs_status": status,
                "error_code": "" if status == "SUCCESSFUL" else status,
                "error_message": deployment.status_reason,
                "rollback_of": "",
            },
        )


def _traffic_moved(status, stage):
    """Whether production traffic is all on the target revision (as a CodeDeploy reroute puts it)."""
    return status == "SUCCESSFUL" or (status == "IN_PROGRESS" and stage in TRAFFIC_MOVED)


def _snapshot(deployment):
    fields = [f.attname for f in deployment._meta.concrete_fields if f.attname not in ("id", "target_id")]
    data = {name: getattr(deployment, name) for name in fields}
    if deployment.pk is None:
        data["status"] = None
    return data
