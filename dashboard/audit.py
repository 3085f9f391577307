"""The audit log: one append-only row per event, written in the same transaction as what it records."""

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTransform


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are never edited.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events are never edited.")

    def delete(self):
        raise AppendOnlyError("Audit events are never deleted.")

    def _raw_delete(self, using):
        raise AppendOnlyError("Audit events are never deleted.")


class AuditEvent(models.Model):
    # Outcomes
    REQUESTED, SUCCEEDED, FAILED, OBSERVED = "requested", "succeeded", "failed", "observed"
    UNKNOWN = "unknown"  # sent to AWS, no answer: AWS's state is being checked, and a later row says what it showed
    OUTCOMES = [(o, o.title()) for o in (REQUESTED, SUCCEEDED, FAILED, OBSERVED)] + [(UNKNOWN, "Outcome unknown")]

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
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

    objects = AuditQuerySet.as_manager()

    class Meta:
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

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Audit events are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are never deleted.")


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
    """Append one event. Call it inside the transaction of the change it records. `actor_name` names an actor
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
        event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    event.save()
    return event
