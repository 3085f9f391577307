"""Running a step: claim its run, call the step function, record how it ended (the row and the audit log).

The Celery task and the provision command both come through here, so the wizard and the command share it.
"""

import logging

from django.db import transaction
from django.utils import timezone

from dashboard import aws, events
from dashboard.audit import AuditEvent, record
from provisioning.models import LeaseLost, StepRun
from provisioning.worker import steps
from provisioning.worker.step_context import Context, StepError, Waiting

log = logging.getLogger(__name__)


def execute(run_id, *, owner=None, report=None):
    """Run (or resume) one step run as far as it goes now; returns the run as it was left, or None when
    it is not there to run (another worker has it, it is finished, or not due yet)."""
    run = StepRun.objects.select_related("setup", "requested_by").filter(pk=run_id).first()
    if run is None or not run.claim(owner):
        return None
    ctx = Context(run, steps.OWNER_OF_OUTPUT, report=report)
    try:
        settle(ctx, attempt(ctx))
    except LeaseLost:
        log.warning("setup %s step %s: another worker took the run over", run.setup.name, run.step)
        return None
    return run


def attempt(ctx):
    """Call the step function; its outcome is None (done), a Waiting, or the error it ended with."""
    try:
        steps.get(ctx.run.step).run(ctx)
    except LeaseLost:
        raise
    except (Waiting, aws.AwsError, StepError) as outcome:
        return outcome
    except Exception as error:  # noqa: BLE001 - a bug must still end the run, visibly, not leave it running
        log.exception("setup %s step %s failed", ctx.setup.name, ctx.run.step)
        return StepError(type(error).__name__, str(error) or "Unexpected error; see the worker's log.")
    return None


def settle(ctx, outcome):
    if isinstance(outcome, Waiting):
        if not gave_up(ctx.run, outcome):
            ctx.run.wait(outcome.message, outcome.seconds)
            return
        outcome = StepError("TimedOut", f"Stopped waiting: {outcome.message} Retry to wait again.")
    conclude(ctx, outcome)


def gave_up(run, waiting):
    if waiting.give_up_after is None or run.waiting_since is None:
        return False
    return (timezone.now() - run.waiting_since).total_seconds() > waiting.give_up_after


def conclude(ctx, error):
    """End the run, and say in the audit log what it created (or deleted), or how it failed."""
    run = ctx.run
    if run.is_teardown:
        params = {"step": run.step, "deleted": [a["label"] for a in run.actions if a["status"] == "done"]}
    else:
        created = run.resources.filter(owned=True)
        params = {"step": run.step, "created": [{"type": r.kind, "name": r.name, "arn": r.arn} for r in created]}
        if ctx.adopted:
            params["adopted"] = ctx.adopted
        changed = [a["label"] for a in run.actions if ":change:" in a["key"]]
        if changed:
            params["changed"] = changed  # what a re-run changed to bring AWS in line with the form
    with transaction.atomic():
        run.conclude(error)
        record(
            events.SETUP_TEARDOWN if run.is_teardown else events.SETUP_STEP,
            outcome=AuditEvent.FAILED if error else AuditEvent.SUCCEEDED,
            user=run.requested_by,
            target_type="setup_step",
            target_id=run.pk,
            scope=run.setup.name,
            params=params,
            error=error,
            follows=AuditEvent.objects.filter(pk=run.requested_event_id).first(),
        )
