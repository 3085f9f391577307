"""Running one phase of a move: claim the run, do its sub-actions, wait or conclude (with its audit row)."""

import logging

from django.db import transaction
from django.utils import timezone

from dashboard import aws
from dashboard.models import LeaseLost
from provisioning.worker.step_context import StepError, Waiting
from releases.migration_models import MigrationRun
from releases.worker.migration.phases import PHASES, Work

log = logging.getLogger(__name__)


def execute(run_id, *, owner=None):
    """Run (or resume) the run as far as it goes now; the run as it was left, or None when it is not ours to run."""
    run = MigrationRun.objects.select_related("target", "requested_by").filter(pk=run_id).first()
    if run is None or not run.claim(owner):
        return None
    try:
        outcome = attempt(Work(run))
        if isinstance(outcome, Waiting) and not gave_up(run, outcome):
            run.wait(outcome.message, outcome.seconds)
            return run
        if isinstance(outcome, Waiting):
            outcome = StepError("TimedOut", f"Stopped waiting: {outcome.message} Retry to wait again.")
        with transaction.atomic():
            run.conclude(outcome, saved=run.saved, preconditions=run.preconditions, plan=run.plan)
            run.record_outcome(outcome)
    except LeaseLost:
        log.warning("migration run %s: another worker took it over", run_id)
        return None
    return run


def attempt(work):
    try:
        PHASES[work.run.phase](work)
    except LeaseLost:
        raise
    except (Waiting, aws.AwsError, StepError) as outcome:
        return outcome
    except Exception as error:  # noqa: BLE001 - a bug must still end the run, visibly
        log.exception("migration run %s failed", work.run.pk)
        return StepError(type(error).__name__, str(error) or "Unexpected error; see the worker's log.")
    return None


def gave_up(run, waiting):
    if waiting.give_up_after is None or run.waiting_since is None:
        return False
    return (timezone.now() - run.waiting_since).total_seconds() > waiting.give_up_after
