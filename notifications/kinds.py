"""What is worth telling someone about, and how it reads."""

from dashboard import events

WAITING_FOR_REROUTE = "waiting_for_reroute"
READY_WAIT_ENDING = "ready_wait_ending"
TERMINATION_WAIT_ENDING = "termination_wait_ending"
DEPLOYMENT_FAILED = "deployment_failed"
ROLLED_BACK = "rolled_back"
STAGE_FAILED = "stage_failed"
APPROVAL_WAITING = "approval_waiting"
FOUR_EYES_REQUEST = "four_eyes_request"
SMOKE_CHECKS_FAILED = "smoke_checks_failed"
TEST = "test"

LABELS = {
    WAITING_FOR_REROUTE: "A deployment waits for someone to reroute traffic",
    READY_WAIT_ENDING: "The wait for a reroute ends soon",
    TERMINATION_WAIT_ENDING: "A termination wait ends soon (the original task set goes)",
    DEPLOYMENT_FAILED: "A deployment failed or was stopped",
    ROLLED_BACK: "A deployment was rolled back",
    STAGE_FAILED: "A pipeline stage failed",
    APPROVAL_WAITING: "A pipeline's manual approval waits for someone to approve or reject it",
    FOUR_EYES_REQUEST: "An operator's action waits for a second operator (four eyes)",
    SMOKE_CHECKS_FAILED: "Smoke checks failed (on the test listener or in production)",
}
CHOICES = list(LABELS.items())
FAILED_STATUSES = {"Failed", "Stopped"}
SMOKE_FAILED_STATUSES = {"failed", "timed_out"}
PHASES = {"test": "the test listener", "production": "production"}


def from_audit_event(event):
    """(kind, key, title) for an audit event that should be told, else None."""
    params, scope = event.params or {}, event.scope
    deployment = params.get("deployment_id", "")
    if event.action == events.DEPLOYMENT_READY:
        title = f"{scope}: deployment {deployment} is ready and waits for someone to reroute production traffic"
        return WAITING_FOR_REROUTE, f"{WAITING_FOR_REROUTE}:{deployment}", title
    if event.action == events.DEPLOYMENT_FINISHED and params.get("status") in FAILED_STATUSES:
        title = f"{scope}: deployment {deployment} {params['status'].lower()}"
        return DEPLOYMENT_FAILED, f"{DEPLOYMENT_FAILED}:{deployment}", title
    if event.action == events.ROLLED_BACK:
        title = f"{scope}: deployment {deployment} was rolled back by {params.get('rollback_deployment_id', 'AWS')}"
        return ROLLED_BACK, f"{ROLLED_BACK}:{deployment}", title
    if event.action == events.STAGE_FAILED:
        stage, execution = params.get("stage", "a stage"), params.get("execution_id", "")
        return STAGE_FAILED, f"{STAGE_FAILED}:{execution}:{stage}", f"{scope}: stage {stage} failed in {execution}"
    if event.action == events.APPROVAL_WAITING:
        stage, action, execution = params.get("stage", ""), params.get("action", ""), params.get("execution_id", "")
        title = f"{scope}: approval {stage}/{action} waits for someone to approve or reject it"
        if params.get("summary"):
            title += f": {params['summary']}"
        return APPROVAL_WAITING, f"{APPROVAL_WAITING}:{execution}:{stage}:{action}", title
    if event.action == events.FOUR_EYES_REQUESTED:
        title = f"{scope}: {event.actor_name} asks a second operator to approve “{params.get('label', '')}”"
        title += f": {event.reason}"
        return FOUR_EYES_REQUEST, f"{FOUR_EYES_REQUEST}:{event.target_id}", title
    if event.action == events.SMOKE_FINISHED and params.get("status") in SMOKE_FAILED_STATUSES:
        phase = params.get("phase", "")
        what = "failed" if params["status"] == "failed" else "did not finish"
        title = f"{scope}: smoke checks {what} on {PHASES.get(phase, phase)} for deployment {deployment}"
        if event.reason:
            title += f": {event.reason}"
        return SMOKE_CHECKS_FAILED, f"{SMOKE_CHECKS_FAILED}:{deployment}:{phase}", title
    return None
