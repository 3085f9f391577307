"""Celery tasks of the release console: thin wrappers around plain functions that tests call directly."""

from celery import shared_task
from django.utils import timezone

from dashboard import jobs
from releases.models import TrackRequest
from releases.worker import action_sending, polling, smoke_runs
from releases.worker.migration import runner as migration_runner
from releases.worker.track import run_track_request


@shared_task(bind=True, acks_late=True)
def track(self, job_id):
    jobs.run(TrackRequest, job_id, run_track_request, owner=jobs.owner_of(self))


@shared_task(expires=5, ignore_result=True)
def poll_due():
    """Beat, every second: claim the targets whose refresh is due and refresh each in a worker."""
    for target_id in polling.claim_due():
        refresh.delay(target_id)


@shared_task(expires=int(polling.LEASE.total_seconds()), ignore_result=True)
def refresh(target_id):
    polling.refresh(target_id)


@shared_task(expires=5, ignore_result=True)
def probe_idle():
    """Beat, every few seconds: one cheap look at each idle target, in a worker each."""
    for target_id in polling.idle_targets():
        probe.delay(target_id)


@shared_task(expires=5, ignore_result=True)
def probe(target_id):
    polling.probe(target_id)


@shared_task(bind=True, acks_late=True)
def send_action(self, action_id):
    action_sending.send(action_id, owner=jobs.owner_of(self))


@shared_task(bind=True, acks_late=True)
def reconcile_action(self, action_id):
    action_sending.reconcile(action_id, owner=jobs.owner_of(self))


@shared_task(bind=True, acks_late=True)
def smoke_attempt(self, run_id):
    """One attempt of a smoke check run; it queues the next (releases/worker/smoke_runs.py)."""
    smoke_runs.attempt(run_id, owner=jobs.owner_of(self))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def run_migration(self, run_id):
    """One phase of a move to ECS blue/green; a waiting run is queued again for when it wakes."""
    run = migration_runner.execute(run_id, owner=jobs.owner_of(self))
    if run is not None and run.status == run.WAITING:
        jobs.enqueue(run, countdown=max(0.0, (run.wake_at - timezone.now()).total_seconds()))
