"""Events from the SQS queue of each account and region (event_rule.py), long-polled by `manage.py listen_events`.

An event names a pipeline (CodePipeline), an application and deployment group (CodeDeploy), a service (ECS) or a
repository (ECR); the tracked targets it names become due for a refresh at once. Each queue is read by one listener at a
time (a lease on its EventSource row); every round records when AWS last answered, or how it failed, which is
what says whether events arrive (`EventSource.healthy`).
"""

import json
import logging
import threading
import uuid
from datetime import timedelta

from django.db import close_old_connections, transaction
from django.db import connection as database
from django.db.models import F, Q
from django.utils import timezone

from dashboard import aws
from dashboard.models import same_connection
from releases.models import EventSource, ReleaseTarget
from releases.worker.fetch import DEPLOYMENTS, EXECUTIONS, LISTING, STATE

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
EXECUTION_CHANGE = "CodePipeline Pipeline Execution State Change"


def receive(source, wait_seconds=None):
    """One long poll of the source's queue: the targets its events name made due, the events deleted from the
    queue. Returns the number of events read, None when AWS refused (recorded on the source)."""
    wait = EventSource.WAIT_SECONDS if wait_seconds is None else wait_seconds
    connection = source.connection()
    try:
        answer = aws.call(
            "sqs",
            "receive_message",
            connection,
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait,
        )
    except aws.AwsError as error:
        _failed(source, error)
        return None
    messages = answer.get("Messages", [])
    events = [_parsed(m.get("Body")) for m in messages]
    now = timezone.now()
    mark_due([e for e in events if e], source.connection(), now)
    if messages:
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        try:
            aws.call("sqs", "delete_message_batch", connection, QueueUrl=source.queue_url, Entries=entries)
        except aws.AwsError as error:  # they come again after the visibility timeout: a refresh more, no harm
            log.warning("events not deleted from %s: %s", source.queue_url, error)
    fields = {"listened_at": now, "error_code": "", "error_message": "", "error_at": None}
    if messages:
        fields.update(received_at=now, received=F("received") + len(messages))
    EventSource.objects.filter(pk=source.pk).update(**fields)
    return len(messages)


def _failed(source, error):
    log.warning("events queue %s: %s: %s", source.queue_url, error.code, error.message)
    EventSource.objects.filter(pk=source.pk).update(
        error_code=error.code, error_message=error.message[:2000], error_at=timezone.now()
    )


def _parsed(body):
    try:
        event = json.loads(body or "")
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def mark_due(events, connection, now=None):
    """Make the targets the events name due at once, with what moved (`ReleaseTarget.event_hints`: the pipeline,
    or its deployments) for the refresh to read; returns their ids."""
    targets = list(ReleaseTarget.objects.filter(**same_connection(connection))) if events else []
    hints = {}
    for event in events:
        said = parts_moved(event)
        for target in targets:
            if said and names(event, target):
                hints.setdefault(target.pk, set()).update(said | _unknown_deployment(event, target))
    for pk, said in hints.items():
        with transaction.atomic():
            known = ReleaseTarget.objects.select_for_update().filter(pk=pk).values_list("event_hints", flat=True)
            ReleaseTarget.objects.filter(pk=pk).update(
                poll_due_at=now or timezone.now(), event_hints=sorted(set(known.first() or []) | said)
            )
    return set(hints)


def parts_moved(event):
    """What a refresh should read after this event (fetch.py's parts): a stage or action moved: the pipeline's
    state; an execution started or ended, or an image was pushed: its executions too; a deployment moved: the
    deployments known to be running; when one starts, the new ones and the executions too (to link it to the
    execution that made it); an ECS service deployment moved: the pipeline's state too, for the same reason."""
    source, detail = event.get("source"), event.get("detail") or {}
    if source == "aws.codedeploy":
        return {LISTING, DEPLOYMENTS, EXECUTIONS} if detail.get("state") == "START" else {DEPLOYMENTS}
    if source == "aws.ecr" or event.get("detail-type") == EXECUTION_CHANGE:
        return {STATE, EXECUTIONS}
    if source == "aws.ecs":  # an ECS target's refresh reads its service deployments; the state links a new one
        return {STATE}
    return {STATE} if source == "aws.codepipeline" else set()


def _unknown_deployment(event, target):
    """A deployment event about one the target does not know yet (its START came first, or went missing)."""
    deployment_id = (event.get("detail") or {}).get("deploymentId")
    if event.get("source") != "aws.codedeploy" or not deployment_id:
        return set()
    return set() if target.deployments.filter(deployment_id=deployment_id).exists() else {LISTING, EXECUTIONS}


def names(event, target):
    """Whether the event is about the target: its pipeline, its deployment group, its ECS service (an ECS
    target's), or an ECR repository one of its source actions watches (with its tag, when the event gives one)."""
    detail = event.get("detail") or {}
    source = event.get("source")
    if source == "aws.codepipeline":
        return detail.get("pipeline") == target.pipeline_name
    if source == "aws.codedeploy":
        return (detail.get("application"), detail.get("deploymentGroup")) == (
            target.application_name,
            target.deployment_group_name,
        )
    if source == "aws.ecs":
        cluster = target.cluster_name.rsplit("/", 1)[-1]  # a name, or an ARN ending in it
        service = f"service/{cluster}/{target.service_name}"
        return target.is_ecs and any(arn.split(":", 5)[-1] == service for arn in event.get("resources") or [])
    if source == "aws.ecr":
        for action in (target.setup or {}).get("sources", []):
            config = action.get("configuration") or {}
            if action.get("provider") != "ECR" or config.get("RepositoryName") != detail.get("repository-name"):
                continue
            if "image-tag" not in detail or detail["image-tag"] == config.get("ImageTag", "latest"):
                return True
    return False


# ---- the listening process -------------------------------------------------------------------------------


def claim(owner, now=None):
    """The sources this listener may read now: free, expired or already its own; each leased to it."""
    now = now or timezone.now()
    free = Q(lease_owner="") | Q(lease_expires_at__lt=now) | Q(lease_owner=owner)
    claimed = []
    for pk in EventSource.objects.filter(free).values_list("pk", flat=True):
        if EventSource.objects.filter(free, pk=pk).update(lease_owner=owner, lease_expires_at=now + LEASE):
            claimed.append(pk)
    return claimed


def release(owner):
    EventSource.objects.filter(lease_owner=owner).update(lease_owner="", lease_expires_at=None)


def listen(stop, owner=None, rescan_seconds=10):
    """Until `stop` is set: read every source this listener can claim, each in a thread of its own."""
    owner = owner or f"listener-{uuid.uuid4().hex[:12]}"
    threads = {}
    try:
        while not stop.is_set():
            for pk in claim(owner):
                if pk not in threads or not threads[pk].is_alive():
                    threads[pk] = threading.Thread(target=_read, args=(pk, owner, stop), daemon=True)
                    threads[pk].start()
            close_old_connections()
            stop.wait(rescan_seconds)
    finally:
        for thread in threads.values():
            thread.join(timeout=EventSource.WAIT_SECONDS + 5)
        release(owner)
        database.close()


def _read(pk, owner, stop):
    try:
        while not stop.is_set():
            source = EventSource.objects.filter(pk=pk, lease_owner=owner).first()
            if source is None:  # no longer ours (or gone)
                return
            EventSource.objects.filter(pk=pk, lease_owner=owner).update(lease_expires_at=timezone.now() + LEASE)
            if receive(source) is None:
                stop.wait(5)  # the queue is failing: ask again in a while, not in a tight loop
    finally:
        database.close()  # this thread's own
