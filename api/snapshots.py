"""The console's snapshot (releases/web/display.py) as plain data for the API: the same reads, nothing of AWS."""

from django.urls import reverse

from releases import action_kinds
from releases.web import display


def aws_error(code, message):
    return {"code": code, "message": message} if code or message else None


def execution(row):
    if row is None:
        return None
    return {f: getattr(row, f) for f in ("execution_id", "status", "started_at", "updated_at")}


def deployment(row):
    if row is None:
        return None
    fields = ("deployment_id", "status", "created_at", "completed_at", "rollback_of")
    return {**{f: getattr(row, f) for f in fields}, "error": aws_error(row.error_code, row.error_message)}


def traffic(split):
    if split is None:
        return None
    fields = ("original", "replacement", "rolled_back", "label")
    return {f: getattr(split, f) for f in fields}


def action(row, answer=None):
    return {
        "id": row.pk,
        "target_id": row.target_id,
        "kind": row.kind,
        "label": row.get_kind_display(),
        "status": row.status,
        "is_open": row.is_open,
        "reason": row.reason,
        "params": row.params,
        "requested_by": row.requester if (row.requested_by or row.actor_name) else "",
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "request_id": row.request_id,
        "answer": answer if answer is not None else (row.result or {}).get("stop_message", ""),
        "error": aws_error(row.error_code, row.error_message),
        "status_url": reverse("api:action", kwargs={"pk": row.pk}),
    }


def four_eyes(row):
    return {
        "id": row.pk,
        "target_id": row.target_id,
        "kind": row.kind,
        "label": row.get_kind_display(),
        "status": row.shown_status,
        "reason": row.reason,
        "override_freeze": row.override_reason,
        "requested_by": row.requested_by.get_username() if row.requested_by else "",
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "decided_by": row.decided_by.get_username() if row.decided_by else "",
        "decided_at": row.decided_at,
        "decision_reason": row.decision_reason,
        "action_url": reverse("api:action", kwargs={"pk": row.action_id}) if row.action_id else "",
        "status_url": reverse("api:four-eyes", kwargs={"pk": row.pk}),
    }


def _target(target, summary):
    return {
        "id": target.pk,
        "name": target.name,
        "pipeline_name": target.pipeline_name,
        "engine": target.engine,
        "region": target.region,
        "connection": target.aws_connection.name if target.aws_connection else "",
        "account": target.aws_connection.shown_account if target.aws_connection else "",
        "version": target.version,
        "active": target.active,
        "gone_since": target.gone_since,
        "console_url": target.get_absolute_url(),
        "execution": execution(summary["execution"]),
        "deployment": deployment(summary["deployment"]),
        "traffic": traffic(summary["traffic"]),
        "needs_action": summary["needs_action"],
    }


def summaries_version():
    return display.summary_etag()


def summaries(version):
    return {"version": version, "targets": [_target(s["target"], s) for s in display.summaries()]}


def _lifecycle(rows):
    return [{k: row.get(k) for k in ("name", "status", "start_at", "end_at", "seconds")} for row in rows]


def state(target, execution_id=None):
    """The console page's snapshot of one target, as its live fragment reads it."""
    console = display.console(target, execution_id, user_can_operate=False)
    release = console["release"]
    summary = {**console, "execution": release.execution or target.latest_execution()}
    return {
        **_target(target, summary),
        "release_execution_id": release.execution.execution_id if release.execution else "",
        "rollback": deployment(console["rollback"]),
        "lifecycle": _lifecycle(console["lifecycle"]),
        "rollback_lifecycle": _lifecycle(console["rollback_lifecycle"]),
        "task_sets": console["task_sets"],
        "stages": console["stages"],
        "open_actions": [action(row) for row in console["open_actions"]],
        "recent_actions": [action(row) for row in console["recent_actions"]],
        "last_answer": console["last_answer"],
        "smoke_runs": [smoke_run(shown["run"], shown["planned"]) for shown in console["smoke"]["runs"]],
        "reroute_blocked_by": console["smoke"]["reroute_block"],
        "alarms": alarms(console["alarms"]),
        "service_deployment": service_deployment(console.get("service_deployment")),
    }


def service_deployment(row):
    """An ECS service deployment: status, lifecycle stage, hooks, revisions and the production traffic split."""
    if row is None:
        return None
    fields = ("deployment_id", "arn", "status", "status_reason", "lifecycle_stage", "created_at", "finished_at")
    shown = {name: getattr(row, name) for name in fields}
    shown.update(hooks=row.hooks, source_revisions=row.source_revisions, target_revision=row.target_revision)
    return {**shown, "traffic": row.split("production"), "bake_ends_at": row.bake_ends_at}


def smoke_run(run, planned):
    fields = ("id", "deployment_id", "phase", "status", "url", "checks", "reason", "policy", "follow_up")
    return {
        **{f: getattr(run, f) for f in fields},
        "follow_up_note": run.follow_up_note,
        "planned_attempts": planned,
        "attempts": [{k: r[k] for k in ("check", "url", "status", "ms", "ok", "reason", "at")} for r in run.results],
        "action_id": run.action_id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


def alarms(shown):
    if shown is None:
        return None
    rows = [{k: row.get(k, "") for k in ("name", "state", "reason", "updated_at")} for row in shown["rows"]]
    flags = {k: bool(shown.get(k)) for k in ("enabled", "ignore_poll_failure", "rollback_on_alarm")}
    return {**flags, "error": shown["error"], "read_at": shown["read_at"], "alarms": rows}


def offers(target, offered, may_request):
    return {
        "target_id": target.pk,
        "version": target.version,
        "may_request": may_request,
        "actions": [
            {"kind": kind, "label": spec.label, "what": spec.what, "danger": spec.button == "danger", "params": params}
            for kind, params in offered.items()
            for spec in [action_kinds.KINDS[kind]]
        ],
    }
