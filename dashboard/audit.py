"""The audit log: one append-only row per event, written in the same transaction as what it records."""

import re

from django.conf import settings
from django.db import IntegrityError, models, router, transaction
from django.db.models import F
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from .acting import token_name
from .audit_chain import GENESIS, link
from .validators import CONTROL_CHARACTERS

NEVER_EDITED = "Audit events are append-only: never edited."
NEVER_DELETED = "Audit events are append-only: never deleted."


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(NEVER_EDITED)

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError(NEVER_EDITED)

    def delete(self):
        raise AppendOnlyError(NEVER_DELETED)

    def _raw_delete(self, using):
        raise AppendOnlyError(NEVER_DELETED)

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False, **kwargs):
        # An ignored conflict would leave a link in the chain with no event.
        if ignore_conflicts or update_conflicts:
            raise AppendOnlyError(NEVER_EDITED)
        objs = list(objs)
        using = self._db or router.db_for_write(self.model)
        with transaction.atomic(using=using):
            _chain(objs, using)
            return super().bulk_create(objs, batch_size=batch_size, **kwargs)


class AuditEvent(models.Model):
    # Outcomes
    REQUESTED, SUCCEEDED, FAILED, OBSERVED = "requested", "succeeded", "failed", "observed"
    UNKNOWN = "unknown"  # sent to AWS, no answer: AWS's state is being checked, and a later row says what it showed
    OUTCOMES = [(o, o.title()) for o in (REQUESTED, SUCCEEDED, FAILED, OBSERVED)] + [(UNKNOWN, "Outcome unknown")]

    created_at = models.DateTimeField(db_index=True, editable=False)  # set when chained: the hashed moment
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, help_text="Username at the time, or 'system'.")
    action = models.CharField(max_length=64, db_index=True, help_text="What happened, e.g. release.reroute.")
    target_type = models.CharField(max_length=32, blank=True, db_index=True)
    target_id = models.CharField(max_length=2048, blank=True, help_text="An id or ARN.")
    scope = models.CharField(max_length=128, blank=True, db_index=True, help_text="Release target or setup name.")
    reason = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=16, choices=OUTCOMES, db_index=True)
    aws_request_id = models.CharField(max_length=128, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="The request this event is the outcome of.",
    )
    # The hash chain (dashboard/audit_chain.py); unique, so two events can never follow the same one.
    previous_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"  # what Django uses internally (related objects, deletion) refuses too
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["scope", "-created_at"]),
            # The history filter by user, and the joins of a release's events (timeline, insights).
            models.Index(fields=["actor_name", "-created_at"], name="audit_actor_created_idx"),
            models.Index(KeyTransform("execution_id", "params"), name="audit_execution_id_idx"),
            models.Index(KeyTransform("deployment_id", "params"), name="audit_deployment_id_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.outcome}"

    def save(self, *, force_insert=False, force_update=False, using=None, update_fields=None):
        if not self._state.adding or force_update or update_fields is not None:
            raise AppendOnlyError(NEVER_EDITED)
        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            _chain([self], using)
            super().save(force_insert=True, using=using)  # never an UPDATE, even with an id set

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(NEVER_DELETED)


class AuditChainHead(models.Model):
    """One row: the newest event's hash and how many events the chain holds. Writers lock it before reading it."""

    last_hash = models.CharField(max_length=64, blank=True)
    length = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.length} events, newest {self.last_hash[:12]}"


HEAD = 1


def _chain(events, using):
    """Link `events` after the newest event. The chain head stays locked until the surrounding transaction ends, so
    writers (web processes, workers) chain one after another; record last in a transaction to hold it briefly."""
    head = _locked_head(using, added=len(events))
    previous = head.last_hash
    for event in events:
        event.created_at = timezone.now()
        previous = link(event, previous)
    AuditChainHead.objects.using(using).filter(pk=HEAD).update(last_hash=previous)


def _locked_head(using, added):
    # UPDATE before reading: it takes the row lock on PostgreSQL and the write lock on SQLite, so no two writers
    # read the same previous hash (that would fork the chain).
    heads = AuditChainHead.objects.using(using)
    while not heads.filter(pk=HEAD).update(length=F("length") + added):
        newest = AuditEvent.objects.using(using).order_by("-id").first()  # the head is gone (a test's flush)
        try:
            with transaction.atomic(using=using):
                return heads.create(
                    pk=HEAD,
                    length=AuditEvent.objects.using(using).count() + added,
                    last_hash=newest.hash if newest else GENESIS,
                )
        except IntegrityError:
            continue  # another writer made it first: lock that one
    return heads.get(pk=HEAD)


def record(
    action,
    *,
    outcome,
    user=None,
    request=None,
    target_type="",
    target_id="",
    scope="",
    reason="",
    params=None,
    error=None,
    request_id="",
    follows=None,
    actor_name="",
):
    """Append one event. Call it inside the transaction of the change it records, last: from here to the end of
    that transaction, other writers of events wait for it (the chain head is locked). `actor_name` names an actor
    that is not a signed-in user (the user name a failed sign-in tried)."""
    if request is not None and user is None:
        user = request.user if request.user.is_authenticated else None
    event = AuditEvent(
        actor=user,
        actor_name=user.get_username() if user else (actor_name or "system"),
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=str(target_id),
        scope=scope,
        reason=reason,
        params=params or {},
        aws_request_id=request_id or (error.request_id if error else ""),
        error_code=error.code if error else "",
        error_message=error.message if error else "",
        follows=follows,
    )
    if request is not None:
        event.ip_address = request.META.get("REMOTE_ADDR") or None
        # A header is whatever the client sent: a NUL or a control character would not be stored (PostgreSQL).
        said = request.META.get("HTTP_USER_AGENT", "")
        event.user_agent = re.sub(f"{CONTROL_CHARACTERS}|\x00", "", said)[:512]
        if token := token_name(request):
            event.params = {**event.params, "api_token": token}
    event.save()
    return event
