"""Celery tasks of the release console: thin wrappers around plain functions that tests call directly."""

from celery import shared_task

from dashboard import aws

from . import actions, polling
from .models import TrackRequest


@shared_task(acks_late=True)
def track(job_id):
    from .services import TrackingError, track_pipeline

    job = TrackRequest.objects.get(pk=job_id)
    if not job.claim():
        return
    try:
        target = track_pipeline(job.pipeline_name, user=job.requested_by)
    except TrackingError as error:
        job.finish(error=aws.AwsError("NotTrackable", str(error)))
    except aws.AwsError as error:
        job.finish(error=error)
    else:
        job.finish(target=target)


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


@shared_task(acks_late=True)
def send_action(action_id):
    actions.send(action_id)
