"""The operator actions: their keys, labels, audit events, button styles and what each does. Pure data,
read by the model (choices), the console (buttons and dialogs) and the worker (audit events)."""

from dataclasses import dataclass

from dashboard import events

RELEASE_CHANGE = "release_change"
STOP_EXECUTION = "stop_execution"
RETRY_STAGE = "retry_stage"
REROUTE = "reroute"
ROLLBACK = "rollback"
TERMINATE_ORIGINAL = "terminate_original"
REDEPLOY_PREVIOUS = "redeploy_previous"
APPROVE = "approve"
REJECT = "reject"
CONTINUE_HOOK = "continue_hook"


@dataclass(frozen=True)
class Kind:
    label: str
    event: str
    button: str  # the button's style: "" or "danger"
    what: str  # what happens, shown in the confirmation


KINDS = {
    RELEASE_CHANGE: Kind(
        "Release change",
        events.RELEASE_CHANGE,
        "",
        "Starts a new pipeline execution with the latest source revisions. During a release the pipeline's "
        "execution mode decides: SUPERSEDED (the default) lets the new execution overtake the running one at the "
        "next stage, QUEUED runs it after, PARALLEL runs both.",
    ),
    STOP_EXECUTION: Kind(
        "Stop execution",
        events.STOP_EXECUTION,
        "danger",
        "Stops the pipeline execution: “stop and wait” lets running actions finish, “stop and abandon” abandons them.",
    ),
    RETRY_STAGE: Kind("Retry stage", events.RETRY_STAGE, "", "Runs the failed actions of the stage again."),
    REROUTE: Kind(
        "Reroute traffic",
        events.REROUTE,
        "primary",
        "Moves production traffic to the replacement (green) task set now.",
    ),
    ROLLBACK: Kind(
        "Stop and roll back",
        events.ROLLBACK,
        "danger",
        "Stops the deployment and rolls it back: production traffic goes back to the original (blue) tasks and the "
        "replacement is removed.",
    ),
    TERMINATE_ORIGINAL: Kind(
        "Terminate original task set",
        events.TERMINATE_ORIGINAL,
        "danger",
        "Terminates the original (blue) task set now; after that the release can no longer be rolled back.",
    ),
    REDEPLOY_PREVIOUS: Kind(
        "Redeploy previous revision",
        events.REDEPLOY_PREVIOUS,
        "danger",
        "Creates a new CodeDeploy blue/green deployment of the task definition that ran before the last release.",
    ),
    APPROVE: Kind(
        "Approve",
        events.APPROVE,
        "primary",
        "Approves the pipeline's manual approval with your reason as its summary; the execution goes on to the next "
        "stage.",
    ),
    REJECT: Kind(
        "Reject",
        events.REJECT,
        "danger",
        "Rejects the pipeline's manual approval with your reason as its summary; the stage fails and the execution "
        "stops there.",
    ),
    CONTINUE_HOOK: Kind(
        "Continue",
        events.CONTINUE_HOOK,
        "primary",
        "Continues the ECS service deployment past its pause hook (continue_service_deployment, action CONTINUE): it "
        "goes on to its next lifecycle stage.",
    ),
}
