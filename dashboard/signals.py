"""Sign-ins, failed sign-ins and lock-outs, and every change of a user's access (roles, superuser, staff and active
flags, password) go into the audit log, whichever page or command made the change."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from . import events
from .acting import acting_on
from .audit import AuditEvent, record
from .roles import ROLES
from .sign_in_limits import UNKNOWN_USER, known_username

User = get_user_model()
SSO_BACKEND = "dashboard.sso.GroupRoleBackend"
FLAGS = {"is_superuser": "superuser", "is_staff": "staff", "is_active": "active"}


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs):
    sso = getattr(user, "backend", "") == SSO_BACKEND
    _record_session_event(events.SIGN_IN, user, request, {"method": "single sign-on"} if sso else {})


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        _record_session_event(events.SIGN_OUT, user, request, {})


def _record_session_event(action, user, request, params):
    target = {"target_type": "user", "target_id": user.get_username()}
    record(action, outcome=AuditEvent.SUCCEEDED, user=user, request=request, params=params, **target)


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    """Bounded: axes (whose handler runs first, being installed first) counts every failure per user name and
    address; the log gets the first of a lock-out window and the lock-out, and nothing while locked out (axes
    then counts nothing either). Never the password, nor a typed user name that is no user's."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    if getattr(request, "axes_locked_out", False):
        action, params = events.SIGN_IN_LOCKED_OUT, {"failures": failures}
    elif failures == 1:
        action, params = events.SIGN_IN_FAILED, {}
    else:
        return
    username = known_username(credentials.get("username"))
    record(
        action,
        outcome=AuditEvent.FAILED,
        request=request,
        actor_name=username,
        target_type="user",
        target_id="" if username == UNKNOWN_USER else username,
        params=params,
    )


@receiver(m2m_changed, sender=User.groups.through)
def record_role_change(sender, instance, action, pk_set, reverse, **kwargs):
    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    names = sorted(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
    roles = [name for name in names if name in ROLES]
    if roles or action == "post_clear":
        source = getattr(instance, "roles_from", "")  # "identity provider": single sign-on set them
        params = {"change": action.removeprefix("post_"), "roles": roles, **({"from": source} if source else {})}
        record(
            events.ROLES_CHANGED,
            outcome=AuditEvent.SUCCEEDED,
            target_type="user",
            target_id=instance.get_username(),
            actor_name=source,
            **acting_on(params),
        )


@receiver(pre_save, sender=User)
def note_access_changes(sender, instance, update_fields=None, **kwargs):
    """What this save changes, compared with the stored row; kept on the instance until post_save records it."""
    # set_password() keeps the new password in memory until save; a hash upgraded at sign-in does not.
    password_set = instance._password is not None
    instance._access_changes = {}
    if instance._state.adding or instance.pk is None:
        return
    saved = [field for field in (*FLAGS, "password") if update_fields is None or field in update_fields]
    if not saved:
        return  # e.g. last_login at every sign-in
    old = User.objects.filter(pk=instance.pk).values(*saved).first()
    if old is None:
        return
    flags = [field for field in saved if field in FLAGS and old[field] != getattr(instance, field)]
    changes = {FLAGS[field]: getattr(instance, field) for field in flags}
    if "password" in saved:
        usable = is_password_usable(instance.password)
        if password_set or usable != is_password_usable(old["password"]):
            changes["password"] = "set" if usable else "disabled"
    instance._access_changes = changes


@receiver(post_save, sender=User)
def record_access_changes(sender, instance, created, **kwargs):
    changes = getattr(instance, "_access_changes", {})
    if created:
        params = {name: getattr(instance, field) for field, name in FLAGS.items()}
        params["password"] = "set" if instance.has_usable_password() else "none"
        _record_user_event(events.USER_CREATED, instance, params)
        return
    password = changes.pop("password", None)
    if changes:
        _record_user_event(events.ACCESS_FLAGS_CHANGED, instance, changes)
    if password:
        _record_user_event(events.PASSWORD_CHANGED, instance, {"password": password})


def _record_user_event(action, user, params):
    record(action, outcome=AuditEvent.SUCCEEDED, target_type="user", target_id=user.get_username(), **acting_on(params))
