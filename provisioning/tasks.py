from celery import current_task, shared_task
from django.utils import timezone

from dashboard import jobs
from provisioning.models import DriftCheck, StepRun
from provisioning.worker import drift, runner


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_step(run_id):
    run = runner.execute(run_id, owner=jobs.owner_of(current_task))
    if run is not None and run.status == StepRun.WAITING:
        jobs.enqueue(run, countdown=max(0.0, (run.wake_at - timezone.now()).total_seconds()))


@shared_task(bind=True, acks_late=True)
def check_drift(self, check_id):
    jobs.run(DriftCheck, check_id, lambda check: {"findings": drift.findings(check.setup)}, owner=jobs.owner_of(self))
