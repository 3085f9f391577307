"""Where notifications go (channels) and each one sent or being sent (deliveries).

A channel keeps no secret: a webhook's URL (a Slack URL carries its token) and an HMAC key are read from
environment variables that the channel names, in the worker, at each send.
"""

from django.conf import settings
from django.db import models

from . import kinds


class Channel(models.Model):
    SLACK, WEBHOOK, EMAIL = "slack", "webhook", "email"
    KINDS = [
        (SLACK, "Slack-compatible incoming webhook"),
        (WEBHOOK, "JSON webhook, signed with HMAC-SHA256"),
        (EMAIL, "E-mail"),
    ]

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=KINDS)
    url_variable = models.CharField(max_length=64, blank=True, help_text="The environment variable with the URL.")
    secret_variable = models.CharField(max_length=64, blank=True, help_text="The environment variable with the key.")
    recipients = models.CharField(max_length=500, blank=True, help_text="E-mail addresses, comma-separated.")
    events = models.JSONField(default=list, blank=True, help_text="Kinds of notification; empty: every kind.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def wants(self, kind):
        return kind == kinds.TEST or not self.events or kind in self.events

    @property
    def event_labels(self):
        return [kinds.LABELS.get(kind, kind) for kind in self.events]

    @property
    def recipient_list(self):
        return [address.strip() for address in self.recipients.split(",") if address.strip()]


class Delivery(models.Model):
    """One notification to one channel. `key` names what it is about (a kind and a deployment, say): one per key
    and channel, however often the thing is seen."""

    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    STATUSES = [(PENDING, "Waiting to send"), (SENDING, "Sending"), (SENT, "Sent"), (FAILED, "Failed")]

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    scope = models.CharField(max_length=200, blank=True, help_text="The release target's name.")
    title = models.CharField(max_length=300)
    link = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(help_text="When it is due; while sending, when a silent worker loses it.")
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="one_delivery_per_channel_and_key")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.kind} to {self.channel} ({self.status})"

    @property
    def is_finished(self):
        return self.status in (self.SENT, self.FAILED)
