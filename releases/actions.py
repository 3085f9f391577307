"""Operator actions: when AWS accepts each one, requesting it (a row and an audit event), and sending it.

An action is requested → sent → confirmed | rejected | failed. The row is created in the request's transaction
together with the `requested` audit event; a partial unique index allows one open action per target and kind,
so a double click or two operators at once make one row, and only the worker that moves the row from requested
to sent (a conditional update) calls AWS.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard import aws, events
from dashboard.audit import AuditEvent, record

from .models import Deployment, OperatorAction
from .senders import SENDERS

A = OperatorAction
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    label: str
    event: str
    button: str  # the button's style: "" or "danger"
    what: str  # what happens, shown in the confirmation


KINDS = {
    A.RELEASE_CHANGE: Kind(
        "Release change",
        events.RELEASE_CHANGE,
        "",
        "Starts a new pipeline execution with the latest source revisions. During a release the pipeline's "
        "execution mode decides: SUPERSEDED (the default) lets the new execution overtake the running one at the "
        "next stage, QUEUED runs it after, PARALLEL runs both.",
    ),
    A.STOP_EXECUTION: Kind(
        "Stop execution",
        events.STOP_EXECUTION,
        "danger",
        "Stops the pipeline execution: “stop and wait” lets running actions finish, “stop and abandon” abandons them.",
    ),
    A.RETRY_STAGE: Kind("Retry stage", events.RETRY_STAGE, "", "Runs the failed actions of the stage again."),
    A.REROUTE: Kind(
        "Reroute traffic",
        events.REROUTE,
        "primary",
        "Moves production traffic to the replacement (green) task set now.",
    ),
    A.ROLLBACK: Kind(
        "Stop and roll back",
        events.ROLLBACK,
        "danger",
        "Stops the deployment; CodeDeploy routes traffic back to the original (blue) task set and removes the "
        "replacement.",
    ),
    A.TERMINATE_ORIGINAL: Kind(
        "Terminate original task set",
        events.TERMINATE_ORIGINAL,
        "danger",
        "Terminates the original (blue) task set now; after that the release can no longer be rolled back.",
    ),
    A.REDEPLOY_PREVIOUS: Kind(
        "Redeploy previous revision",
        events.REDEPLOY_PREVIOUS,
        "danger",
        "Creates a new CodeDeploy blue/green deployment of the task definition that ran before the last release.",
    ),
}

PLAIN_ERRORS = {
    "DeploymentIsNotInReadyStateException": "The deployment is not waiting for that any more.",
    "DeploymentAlreadyCompletedException": "The deployment has already finished.",
    "DeploymentLimitExceededException": "Another deployment of this deployment group is still in progress.",
    "PipelineExecutionNotStoppableException": "This pipeline execution can no longer be stopped.",
    "DuplicatedStopRequestException": "This pipeline execution is already being stopped.",
    "StageNotRetryableException": "This stage cannot be retried now (it is not the latest failed stage).",
    "ConflictException": "The pipeline is busy with a conflicting change.",
    "AccessDeniedException": "The dashboard's AWS credentials are not allowed to do this.",
    "ThrottlingException": "AWS is throttling requests; try again in a moment.",
}


class ActionRefused(Exception):
    """The action is not possible in the target's current state; the message says why."""


class AlreadyRequested(ActionRefused):
    def __init__(self, action):
        who = action.requested_by.get_username() if action.requested_by else "someone"
        at = timezone.localtime(action.requested_at)
        super().__init__(
            f"{who} already asked for “{action.get_kind_display()}” at {at:%H:%M:%S}"
            f" ({action.status}){'; it is being handled' if action.is_open else ''}."
        )
        self.action = action


def plain_error(code, message):
    explained = PLAIN_ERRORS.get(code)
    return f"{explained} (AWS: {code}: {message})" if explained else f"AWS said {code}: {message}"


# ---- what is possible now (read from the database only) -------------------------------------------------


def available(target):
    """kind -> the parameters of each action AWS accepts in the target's current state, as last observed."""
    if target.gone_since:  # the pipeline or its deployment group is gone from AWS: nothing would work
        return {}
    offered = {A.RELEASE_CHANGE: {}}
    execution = target.latest_execution()
    if execution and execution.status == "InProgress":
        offered[A.STOP_EXECUTION] = {"execution_id": execution.execution_id}
    failed = _failed_stage(target, execution)
    if failed:
        offered[A.RETRY_STAGE] = {"execution_id": execution.execution_id, "stage": failed}
    deployment = current_deployment(target)
    if deployment and deployment.is_active:
        params = {"deployment_id": deployment.deployment_id}
        if deployment.status == "Ready":
            offered[A.REROUTE] = params
        if deployment.is_termination_wait:
            offered[A.TERMINATE_ORIGINAL] = params
        if not deployment.rollback_of:
            offered[A.ROLLBACK] = params
    previous = previous_revision(target)
    if previous:
        offered[A.REDEPLOY_PREVIOUS] = previous
    return offered


def current_deployment(target):
    return target.latest_deployment()


def _failed_stage(target, execution):
    if execution is None or execution.status != "Failed":
        return None
    for stage in target.pipeline_state.get("stages", []):
        if stage["execution_id"] == execution.execution_id and stage["status"] == "Failed":
            return stage["name"]
    return None


def previous_revision(target):
    """After a finished release: the task definition that ran before it (what ecspresso's rollback deploys)."""
    latest = target.latest_deployment()
    if latest is None or latest.status != "Succeeded" or latest.rollback_of:
        return None
    if target.deployments.filter(status__in=Deployment.ACTIVE).exists():
        return None
    before = (latest.blue or {}).get("task_definition") or latest.info.get("previous_task_definition")
    if not before or before == latest.task_definition_arn:
        return None
    return {"deployment_id": latest.deployment_id, "task_definition": before}


# ---- requesting (web) ------------------------------------------------------------------------------------


def request_action(target, kind, *, user, reason, expected=None, extra=None, request=None):
    """Create the action row and its `requested` event; the worker sends it once this commits.

    `expected` are the ids the operator saw (deployment, execution, stage): if the state moved on since the page
    was drawn, the action is refused rather than applied to something else.
    """
    from .tasks import send_action

    offered = available(target).get(kind)
    label = KINDS[kind].label
    if offered is None:
        raise ActionRefused(f"“{label}” is not possible in the current state.")
    for key, value in (expected or {}).items():
        if value and offered.get(key) and offered[key] != value:
            raise ActionRefused(
                f"“{label}” was not sent: the {key.replace('_', ' ')} changed since the page was shown."
            )
    params = {**offered, **(extra or {})}
    for attempt in range(2):
        try:
            with transaction.atomic():
                action = OperatorAction.objects.create(
                    target=target, kind=kind, params=params, reason=reason, requested_by=user
                )
                # Checked after the insert, which fails while the same action is open: one that closed just before
                # is visible here, so no moment lets a second one through.
                done = _done_since_last_refresh(target, kind, offered, excluding=action.pk)
                if done is not None:
                    raise AlreadyRequested(done)
                event = record(
                    KINDS[kind].event,
                    outcome=AuditEvent.REQUESTED,
                    user=user,
                    request=request,
                    target_type="action",
                    target_id=action.pk,
                    scope=target.name,
                    reason=reason,
                    params={"kind": kind, **params},
                )
                OperatorAction.objects.filter(pk=action.pk).update(audit_event_id=event.pk)
                action.audit_event_id = event.pk
                transaction.on_commit(lambda pk=action.pk: send_action.delay(pk))
            target.bump()
            return action
        except IntegrityError:
            existing = OperatorAction.objects.filter(target=target, kind=kind, status__in=A.OPEN).first()
            if existing is None:
                continue  # it closed in between: try once more
            if attempt == 0 and existing.is_stale:
                _close(existing, A.FAILED, code="Abandoned", message="No worker sent this action in time.")
                continue
            raise AlreadyRequested(existing) from None
    raise ActionRefused(f"“{label}” could not be requested; try again.")


def _done_since_last_refresh(target, kind, offered, excluding):
    """The same action, already accepted by AWS after the state shown was read: doing it again would be a second
    call for one intention (a double click that came after the first was sent)."""
    done = OperatorAction.objects.filter(target=target, kind=kind, status=A.CONFIRMED).exclude(pk=excluding)
    done = done.select_related("requested_by")
    if target.polled_at is not None:
        done = done.filter(finished_at__gte=target.polled_at)
    for action in done.order_by("-finished_at")[:5]:
        if all(action.params.get(key) == value for key, value in offered.items()):
            return action
    return None


# ---- sending (worker) -------------------------------------------------------------------------------------


def send(action_id):
    """Send one action to AWS, once: only the caller that moves it from requested to sent makes the call."""
    if not OperatorAction.objects.filter(pk=action_id, status=A.REQUESTED).update(
        status=A.SENT, sent_at=timezone.now()
    ):
        return None
    action = OperatorAction.objects.select_related("target", "requested_by").get(pk=action_id)
    try:
        result, request_id = SENDERS[action.kind](action.target, action.params, action)
    except aws.AwsError as error:
        status = A.FAILED if error.retryable else A.REJECTED
        _close(action, status, code=error.code, message=plain_error(error.code, error.message), error=error)
    except Exception as error:  # a bug must not leave the action open (and blocking) for ever
        log.exception("sending action %s failed", action.pk)
        _close(action, A.FAILED, code=type(error).__name__, message=f"The dashboard failed to send it: {error}")
    else:
        with transaction.atomic():
            OperatorAction.objects.filter(pk=action.pk).update(
                status=A.CONFIRMED, finished_at=timezone.now(), request_id=request_id, result=result
            )
            record(
                KINDS[action.kind].event,
                outcome=AuditEvent.SUCCEEDED,
                user=action.requested_by,
                target_type="action",
                target_id=action.pk,
                scope=action.target.name,
                reason=action.reason,
                params={"kind": action.kind, **action.params, **result},
                request_id=request_id,
                follows=_requested_event(action),
            )
    action.target.poll_soon()
    action.target.bump()
    return OperatorAction.objects.filter(pk=action.pk).select_related("target", "requested_by").first()


def _close(action, status, *, code, message, error=None):
    with transaction.atomic():
        closed = OperatorAction.objects.filter(pk=action.pk, status__in=A.OPEN).update(
            status=status, finished_at=timezone.now(), error_code=code, error_message=message
        )
        if closed:
            record(
                KINDS[action.kind].event,
                outcome=AuditEvent.FAILED,
                user=action.requested_by,
                target_type="action",
                target_id=action.pk,
                scope=action.target.name,
                reason=action.reason,
                params={"kind": action.kind, **action.params, "status": status},
                error=error or aws.AwsError(code, message),
                follows=_requested_event(action),
            )


def _requested_event(action):
    return AuditEvent.objects.filter(pk=action.audit_event_id).first() if action.audit_event_id else None
