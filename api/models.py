"""Personal API tokens: made and revoked by their owner, kept as a sha256 of the secret (shown once, never stored)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from dashboard.roles import OPERATOR, ROLES, VIEWER, role_of

PREFIX = "bgd_"  # lets secret scanners and people recognise a leaked token


def digest(secret):
    # The secret is 256 random bits: a fast hash is enough, nothing to brute-force (unlike a password).
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    READ, OPERATE = "read", "operate"
    SCOPES = [(READ, "Read-only"), (OPERATE, "Operate")]
    ROLE_OF_SCOPE = {READ: VIEWER, OPERATE: OPERATOR}

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, help_text="What it is for, e.g. “CI deploy”; recorded in the audit.")
    scope = models.CharField(max_length=16, choices=SCOPES, default=READ)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=16, editable=False, help_text="The secret's first characters, to tell it.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="api_token_name_unique_per_owner")]

    def __str__(self):
        return f"{self.name} ({self.owner})"

    @classmethod
    def issue(cls, owner, *, name, scope, expires_at):
        """A new token and its secret: the one moment the secret exists outside the client."""
        secret = PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            owner=owner, name=name, scope=scope, expires_at=expires_at, key_hash=digest(secret), hint=secret[:10]
        )
        return token, secret

    @classmethod
    def find(cls, secret):
        """The usable token with this secret (not revoked, not expired, its owner active), or None."""
        token = (
            cls.objects.select_related("owner")
            .prefetch_related("owner__groups")
            .filter(key_hash=digest(secret))
            .first()
        )
        if token is None or not token.is_usable or not token.owner.is_active:
            return None
        return token

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self):
        return self.revoked_at is None and not self.is_expired

    @property
    def role(self):
        """What the token may do: its scope's role, and never more than its owner's role now."""
        owner_role = role_of(self.owner)
        if owner_role is None:
            return None
        return min(owner_role, self.ROLE_OF_SCOPE[self.scope], key=ROLES.index)

    def revoke(self):
        return ApiToken.objects.filter(pk=self.pk, revoked_at=None).update(revoked_at=timezone.now())

    def mark_used(self, every_seconds):
        """last_used_at, written at most every `every_seconds` (a write per call would be one per request)."""
        now = timezone.now()
        if self.last_used_at is None or (now - self.last_used_at).total_seconds() >= every_seconds:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
