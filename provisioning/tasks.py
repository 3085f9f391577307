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
