"""The audit rows of a smoke check run: its start, and how it ended (also when the sweeper gave it up)."""

from dashboard import events
from dashboard.audit import AuditEvent, record

ACTOR = events.SMOKE_ACTOR
OUTCOMES = {"passed": AuditEvent.SUCCEEDED, "failed": AuditEvent.FAILED, "timed_out": AuditEvent.FAILED}


def _params(run):
    params = {"deployment_id": run.deployment_id, "phase": run.phase, "url": run.url, "run_id": run.pk}
    if run.execution_id:
        params["execution_id"] = run.execution_id
    return params


def record_started(run):
    return record(
        events.SMOKE_STARTED,
        outcome=AuditEvent.OBSERVED,
        actor_name=ACTOR,
        target_type="smoke_run",
        target_id=run.pk,
        scope=run.target.name,
        params={**_params(run), "checks": len(run.checks), "policy": run.policy},
    )


def record_finished(run, reason=""):
    return record(
        events.SMOKE_FINISHED,
        outcome=OUTCOMES.get(run.status, AuditEvent.OBSERVED),
        actor_name=ACTOR,
        target_type="smoke_run",
        target_id=run.pk,
        scope=run.target.name,
        reason=reason or run.reason,
        params={**_params(run), "status": run.status, "attempts": len(run.results)},
        follows=AuditEvent.objects.filter(pk=run.audit_event_id).first() if run.audit_event_id else None,
    )
