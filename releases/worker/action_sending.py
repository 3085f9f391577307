"""Sending an operator action to AWS, once, and reconciling one whose worker died after sending it."""

import logging

from django.db import transaction

from dashboard import aws
from dashboard.models import LeaseLost
from releases.models import OperatorAction
from releases.worker.senders import ALREADY_APPLIED, APPLIED, SENDERS

A = OperatorAction
log = logging.getLogger(__name__)

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
    """A sent action whose worker died mid-call: AWS's state says whether it was applied. Applied: confirmed with
    what AWS shows. Not applied: sent now (each sender is safe to repeat once AWS shows it was not applied; an
    answer that says it already was counts as applied)."""
    action = OperatorAction.objects.select_related("target", "requested_by").filter(pk=action_id).first()
    if action is None or not action.claim_sent(owner):
        return None

    def find_out():
        applied = APPLIED[action.kind](action.target, action.params, action)
        if applied is not None:
            return {**applied, "reconciled": "AWS showed it applied"}, ""
        try:
            result, request_id = SENDERS[action.kind](action.target, action.params, action)
        except aws.AwsError as error:
            if error.code not in ALREADY_APPLIED.get(action.kind, ()):
                raise
            return {"reconciled": f"AWS answered {error.code}: it was applied"}, error.request_id
        return {**result, "reconciled": "sent again: AWS showed it not applied"}, request_id

    return _settle(action, find_out)


def _settle(action, call):
    try:
        result, request_id = call()
    except aws.AwsError as error:
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
