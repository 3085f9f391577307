from datetime import timedelta

from celery import current_task, shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import runner
from .models import StepRun, lease_seconds


def enqueue(run_id, countdown=0):
    options = {"countdown": countdown} if countdown else {}
    queue = settings.PROVISIONING_QUEUE
    if queue:
        options["queue"] = queue
    run_step.apply_async((run_id,), **options)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_step(run_id):
    owner = f"{current_task.request.hostname}:{current_task.request.id}"
    run = runner.execute(run_id, owner=owner)
    if run is not None and run.status == StepRun.WAITING:
        enqueue(run.pk, countdown=max(0.0, (run.wake_at - timezone.now()).total_seconds()))


def stalled():
    """Runs no worker is on: a lease that ran out (the worker died), or a wake-up or start that never came."""
    now = timezone.now()
    late = now - timedelta(seconds=lease_seconds())
    return StepRun.objects.filter(
        Q(status=StepRun.RUNNING, lease_expires_at__lt=now)
        | Q(status=StepRun.WAITING, wake_at__lt=late)
        | Q(status=StepRun.PENDING, created_at__lt=late)
    ).values_list("pk", flat=True)


@shared_task(acks_late=True, expires=30)
def sweep():
    for run_id in stalled():
        enqueue(run_id)


@shared_task(acks_late=True)
def check_drift(check_id):
    from django.db import transaction

    from dashboard import aws, events
    from dashboard.audit import AuditEvent, record

    from . import drift
    from .models import DriftCheck

    check = DriftCheck.objects.select_related("setup").get(pk=check_id)
    if not check.claim():
        return
    error, found = None, []
    try:
        found = drift.findings(check.setup)
    except aws.AwsError as failure:
        error = failure
    with transaction.atomic():
        check.finish(error=error, findings=found)
        record(
            events.SETUP_DRIFT_CHECK,
            outcome=AuditEvent.FAILED if error else AuditEvent.SUCCEEDED,
            user=check.requested_by,
            target_type="drift_check",
            target_id=check.pk,
            scope=check.setup.name,
            error=error,
            params={"drifted": [f"{f['kind']} {f['name']}" for f in check.drifted]},
            follows=AuditEvent.objects.filter(action=events.SETUP_DRIFT_CHECK, target_id=str(check.pk)).first(),
        )
