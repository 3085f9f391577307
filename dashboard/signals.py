"""Sign-in, failed sign-in and role changes go into the audit log."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from . import events
from .audit import AuditEvent, record
from .roles import ROLES


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs):
    record(
        events.SIGN_IN,
        outcome=AuditEvent.SUCCEEDED,
        user=user,
        request=request,
        target_type="user",
        target_id=user.get_username(),
    )


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    # Only the username is kept: never the password that was tried.
    username = str(credentials.get("username", ""))[:150]
    record(
        events.SIGN_IN_FAILED,
        outcome=AuditEvent.FAILED,
        request=request,
        actor_name=username or "anonymous",
        target_type="user",
        target_id=username,
    )


@receiver(m2m_changed, sender=get_user_model().groups.through)
def record_role_change(sender, instance, action, pk_set, reverse, **kwargs):
    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    names = sorted(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
    roles = [name for name in names if name in ROLES]
    if roles or action == "post_clear":
        record(
            events.ROLES_CHANGED,
            outcome=AuditEvent.SUCCEEDED,
            target_type="user",
            target_id=instance.get_username(),
            params={"change": action.removeprefix("post_"), "roles": roles},
        )
