"""Sending an operator action to AWS, once, and reconciling one whose worker died after sending it."""

import logging

from django.conf import settings
from django.db import transaction

from dashboard import aws, jobs
from dashboard.models import LeaseLost
from releases.models import OperatorAction
from releases.worker.senders import APPLIED, RESENT_WITH_TOKEN, SENDERS

A = OperatorAction
log = logging.getLogger(__name__)

PLAIN_ERRORS = {
    "DeploymentIsNotInReadyStateException": "The deployment is not waiting for that any more.",
    "DeploymentAlreadyCompletedException": "The deployment has already finished.",
    "DeploymentLimitExceededException": "Another deployment of this deployment group is still in progress.",
    "PipelineExecutionNotStoppableException": "This pipeline execution can no longer be stopped.",
    "DuplicatedStopRequestException": "This pipeline execution is already being stopped.",
    "StageNotRetryableException": "This stage cannot be retried now (it is not the latest failed stage).",
    "ApprovalAlreadyCompletedException": "The approval has already been answered (or it expired).",
    "InvalidApprovalTokenException": "The approval's run has changed since its token was read; ask again.",
    "ApprovalNotWaiting": "The approval no longer waits for an answer.",
    "ConflictException": "The pipeline is busy with a conflicting change.",
    "ServiceDeploymentNotFoundException": "ECS does not know that service deployment (any more).",
    "AccessDeniedException": "The dashboard's AWS credentials are not allowed to do this.",
    "ThrottlingException": "AWS is throttling requests; try again in a moment.",
}


def plain_error(code, message):
    explained = PLAIN_ERRORS.get(code)
    return f"{explained} (AWS: {code}: {message})" if explained else f"AWS said {code}: {message}"


def send(action_id, owner=None):
    """Send one action to AWS, once: only the worker that moves it from requested to sent (with a lease) calls."""
    action = OperatorAction.objects.select_related("target", "requested_by").filter(pk=action_id).first()
    if action is None or not action.claim(owner):
        return None
    return _settle(action, lambda: SENDERS[action.kind](action.target, action.params, action))


def reconcile(action_id, owner=None):
    """A sent action whose answer never came (its worker died mid-call, or the answer was lost): what AWS shows
    says whether it was applied. Applied: confirmed with what AWS shows. Not applied: recorded so, and not sent
    again (the operator asked minutes ago, for the state they saw then). A release change carries AWS's
    idempotency token, so sending it again is how AWS itself tells: the same execution, started once."""
    action = OperatorAction.objects.select_related("target", "requested_by").filter(pk=action_id).first()
    if action is None or not action.claim_sent(owner):
        return None
    if not action.outcome_unknown_recorded():
        with transaction.atomic():
            action.record_outcome_unknown()

    def find_out():
        if action.kind in RESENT_WITH_TOKEN:
            result, request_id = SENDERS[action.kind](action.target, action.params, action)
            return {**result, "reconciled": "AWS showed it applied (the same request, by its token)"}, request_id
        applied = APPLIED[action.kind](action.target, action.params, action)
        if applied is None:
            raise NotApplied()
        return {**applied, "reconciled": "AWS showed it applied"}, ""

    return _settle(action, find_out)


class NotApplied(aws.AwsError):
    def __init__(self):
        super().__init__(
            "NotApplied",
            "AWS shows it was not applied: nothing was changed. Ask again if it is still wanted.",
        )


def _settle(action, call):
    try:
        result, request_id = call()
    except NotApplied as error:
        _conclude(action, error, status=A.FAILED, error_message=error.message)
    except aws.AwsError as error:
        if error.outcome_unknown:
            return _outcome_unknown(action, error)
        status = A.FAILED if error.retryable else A.REJECTED
        _conclude(action, error, status=status, error_message=plain_error(error.code, error.message))
    except LeaseLost:
        return None
    except Exception as error:  # a bug must not leave the action open (and blocking) for ever
        log.exception("sending action %s failed", action.pk)
        failure = aws.AwsError(type(error).__name__, f"The dashboard failed to send it: {error}")
        _conclude(action, failure, status=A.FAILED)
    else:
        _conclude(action, None, request_id=request_id, result=result)
    return _after(action)


def _outcome_unknown(action, error):
    """Sent, and no answer: stays sent, said so in the audit, and is reconciled from AWS's state once AWS has had
    time to apply it (a request AWS is still working on when our wait ends must not be read as not applied)."""
    delay = settings.ACTION_RECONCILE_SECONDS
    try:
        with transaction.atomic():
            action.wait_for_reconcile(error, seconds=delay)
            action.record_outcome_unknown(error)
    except LeaseLost:
        return None
    jobs.enqueue(action, A.RECONCILE_TASK, countdown=delay)
    return _after(action)


def _after(action):
    action.target.poll_soon()
    action.target.bump()
    return OperatorAction.objects.filter(pk=action.pk).select_related("target", "requested_by").first()


def _conclude(action, error, **fields):
    try:
        with transaction.atomic():
            action.conclude(error, **fields)
            action.record_outcome(error)
    except LeaseLost:
        log.warning("action %s: another worker took it over", action.pk)
