from django.conf import settings
from django.db import models

from .audit import AuditEvent  # noqa: F401  (the audit log is part of this app)


class Job(models.Model):
    """A background job's row: the truth about it, which pages read (never the broker)."""

    PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"
    STATUSES = [(s, s.title()) for s in (PENDING, RUNNING, SUCCEEDED, FAILED)]

    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self):
        return self.status in (self.SUCCEEDED, self.FAILED)

    def claim(self):
        """Move pending → running; False when another worker already has it (or it is done)."""
        from django.utils import timezone

        claimed = (
            type(self)
            .objects.filter(pk=self.pk, status=self.PENDING)
            .update(status=self.RUNNING, started_at=timezone.now())
        )
        if claimed:
            self.refresh_from_db()
        return bool(claimed)

    def finish(self, error=None, **fields):
        from django.utils import timezone

        self.status = self.FAILED if error else self.SUCCEEDED
        self.finished_at = timezone.now()
        if error:
            self.error_code, self.error_message = error.code, error.message
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()


class ConnectionCheck(Job):
    """Who the dashboard is signed in to AWS as (STS get_caller_identity), and which of the IAM actions the
    console and the wizard need it lacks (`dashboard.permissions`), run by a worker."""

    region = models.CharField(max_length=32, blank=True)
    endpoint_url = models.CharField(max_length=255, blank=True)
    account = models.CharField(max_length=32, blank=True)
    arn = models.CharField(max_length=2048, blank=True)
    is_sandbox = models.BooleanField(default=False, help_text="The endpoint is the local sandbox AWS.")
    permissions = models.JSONField(null=True, blank=True, help_text="The permissions pre-flight's report.")

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self):
        return f"Connection check {self.pk} ({self.status})"

    @property
    def denied_count(self):
        from .permissions import denied_count

        return denied_count(self.permissions) if self.permissions else 0

    @property
    def denied_by_part(self):
        """[(part, denied actions, the policy JSON that would allow them)] for the parts with any denied."""
        from .permissions import denied_by_part

        return denied_by_part(self.permissions) if self.permissions else []


class WorkerHeartbeat(models.Model):
    """Written by a beat-scheduled task on a worker: proof that beat, broker and worker all run."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)
    endpoint_url = models.CharField(max_length=255, blank=True, help_text="The AWS endpoint the worker uses.")
    sandbox = models.JSONField(null=True, blank=True, help_text="The sandbox's health, when the endpoint is one.")

    def __str__(self):
        return f"{self.name} seen at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ImagePush(Job):
    """A sample image pushed to a repository of the sandbox AWS, to start a release without a terminal."""

    repository = models.CharField(max_length=256)
    tag = models.CharField(max_length=300, default="latest")
    digest = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Push to {self.repository}:{self.tag} ({self.status})"
