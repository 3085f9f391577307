import socket

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.utils import timezone

from . import aws, jobs, permissions
from .models import AwsConnection, ConnectionCheck, WorkerHeartbeat


@shared_task(bind=True, acks_late=True)
def check_connection(self, check_id):
    jobs.run(ConnectionCheck, check_id, _check_connection, owner=jobs.owner_of(self))


def _check_connection(check):
    connection = check.connection()
    try:
        identity = aws.call("sts", "get_caller_identity", connection)
    except aws.AwsError as error:
        if check.aws_connection_id:
            AwsConnection.note_failure(check.aws_connection_id, error)
        raise
    check.save_while_held(account=identity["Account"], arn=identity["Arn"])
    if check.aws_connection_id:
        AwsConnection.objects.filter(pk=check.aws_connection_id).update(
            account=identity["Account"], arn=identity["Arn"]
        )
        AwsConnection.note_success(check.aws_connection_id)
    return {"permissions": permissions.preflight(identity, connection)}


@shared_task(acks_late=True, expires=30)
def sweep_jobs():
    """Beat: jobs of every kind whose worker died are queued again or timed out (dashboard.jobs.sweep)."""
    jobs.sweep()


@shared_task(acks_late=True, expires=30)
def record_heartbeat():
    WorkerHeartbeat.objects.update_or_create(
        name="worker",
        defaults={
            "seen_at": timezone.now(),
            "hostname": socket.gethostname(),
            "endpoint_url": settings.AWS_ENDPOINT_URL,
        },
    )


@worker_ready.connect
def heartbeat_at_start(sender, **kwargs):
    record_heartbeat.delay()
