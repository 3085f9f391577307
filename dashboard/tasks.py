import socket

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import aws, events, permissions, sandbox_info
from .audit import AuditEvent, record
from .models import ConnectionCheck, ImagePush, WorkerHeartbeat


@shared_task(acks_late=True)
def check_connection(check_id):
    check = ConnectionCheck.objects.get(pk=check_id)
    if not check.claim():
        return
    who, report, error = {}, None, None
    try:
        identity = aws.call("sts", "get_caller_identity")
        who = {"account": identity["Account"], "arn": identity["Arn"]}
        who["is_sandbox"] = sandbox_info.probe(check.endpoint_url) is not None
        report = permissions.preflight(identity)
    except aws.AwsError as failure:
        error = failure
    with transaction.atomic():
        check.finish(error=error, permissions=report, **who)
        _record_outcome(check, error)


def _record_outcome(check, error):
    """The audit row that closes the check's "requested" row, with who the dashboard is and what it lacks."""
    requested = AuditEvent.objects.filter(action=events.CONNECTION_CHECK, target_id=str(check.pk)).first()
    params = {"account": check.account, "arn": check.arn}
    if check.permissions is not None:
        params["denied_actions"] = permissions.denied_count(check.permissions)
    record(
        events.CONNECTION_CHECK,
        outcome=AuditEvent.FAILED if error else AuditEvent.SUCCEEDED,
        user=check.requested_by,
        target_type="connectioncheck",
        target_id=check.pk,
        error=error,
        params=params,
        follows=requested,
    )


@shared_task(acks_late=True, expires=30)
def record_heartbeat():
    WorkerHeartbeat.objects.update_or_create(
        name="worker",
        defaults={
            "seen_at": timezone.now(),
            "hostname": socket.gethostname(),
            "endpoint_url": settings.AWS_ENDPOINT_URL,
            "sandbox": sandbox_info.probe(settings.AWS_ENDPOINT_URL),
        },
    )


@worker_ready.connect
def heartbeat_at_start(sender, **kwargs):
    record_heartbeat.delay()


@shared_task(acks_late=True)
def push_sample_image(push_id):
    push = ImagePush.objects.get(pk=push_id)
    if not push.claim():
        return
    requested = AuditEvent.objects.filter(action=events.SANDBOX_IMAGE_PUSH, target_id=str(push.pk)).first()
    error, image = None, None
    try:
        image = sandbox_info.push_sample_image(push.repository, push.tag, label=f"push {push.pk} {timezone.now()}")
    except aws.AwsError as failure:
        error = failure
    if image:
        from releases.services import refresh_soon

        refresh_soon()  # a watching pipeline starts now: let the console see it at the next beat, not in a minute
    with transaction.atomic():
        push.finish(error=error, digest=image["imageId"]["imageDigest"] if image else "")
        record(
            events.SANDBOX_IMAGE_PUSH,
            outcome=AuditEvent.FAILED if error else AuditEvent.SUCCEEDED,
            user=push.requested_by,
            target_type="image_push",
            target_id=push.pk,
            error=error,
            params={"repository": push.repository, "tag": push.tag, "image_digest": push.digest},
            follows=requested,
        )
