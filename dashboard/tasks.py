import socket

from celery import shared_task
from django.utils import timezone

from . import aws, sandbox_info
from .models import ConnectionCheck, WorkerHeartbeat


@shared_task(acks_late=True)
def check_connection(check_id):
    check = ConnectionCheck.objects.get(pk=check_id)
    if not check.claim():
        return
    try:
        identity = aws.call("sts", "get_caller_identity")
    except aws.AwsError as error:
        check.finish(error=error)
        return
    is_sandbox = sandbox_info.probe(check.endpoint_url) is not None
    check.finish(account=identity["Account"], arn=identity["Arn"], is_sandbox=is_sandbox)


@shared_task(acks_late=True, expires=30)
def record_heartbeat():
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": timezone.now(), "hostname": socket.gethostname()}
    )
