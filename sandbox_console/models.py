from django.conf import settings
from django.db import models

from dashboard.models import Job

IMAGE_PUSH = "sandbox.image_push"  # the audit action of a sample image push


class SandboxHealth(models.Model):
    """The sandbox's health document as a worker last read it from an endpoint (none: it is not the sandbox)."""

    endpoint_url = models.CharField(max_length=255, unique=True)
    document = models.JSONField(help_text="GET /_sandbox/health: version, clock, speed, manual_clock.")
    seen_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Sandbox at {self.endpoint_url}"

    @classmethod
    def record(cls, endpoint_url, document):
        """Keep what the worker found at `endpoint_url`: the health document, or None when it is not the sandbox."""
        if document is None:
            cls.objects.filter(endpoint_url=endpoint_url).delete()
        else:
            cls.objects.update_or_create(endpoint_url=endpoint_url, defaults={"document": document})

    @classmethod
    def current(cls):
        """The health of the configured endpoint, or None when a worker has not seen the sandbox there."""
        found = cls.current_row()
        return found.document if found else None

    @classmethod
    def current_row(cls):
        """The configured endpoint's row (its document and when it was seen), or None."""
        if not settings.AWS_ENDPOINT_URL:
            return None
        return cls.objects.filter(endpoint_url=settings.AWS_ENDPOINT_URL).first()


class ImagePush(Job):
    """A sample image pushed to a repository of the sandbox AWS, to start a release without a terminal."""

    TASK = "sandbox_console.tasks.push_sample_image"
    AUDIT_EVENT = IMAGE_PUSH
    AUDIT_TYPE = "image_push"

    repository = models.CharField(max_length=256)
    tag = models.CharField(max_length=300, default="latest")
    digest = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Push to {self.repository}:{self.tag} ({self.status})"

    def outcome_params(self):
        return {"repository": self.repository, "tag": self.tag, "image_digest": self.digest}
