"""Freeze windows: an admin freezes a target until a time, with a reason, and may end it early. While one is in
force, release changes and reroutes are refused (action_requests.request_action) unless an admin overrides one
request with a reason. Each step is an audit event under the target's name."""

from django.db import transaction
from django.utils import timezone

from dashboard import events
from dashboard.audit import AuditEvent, record
from releases.action_kinds import RELEASE_CHANGE, REROUTE
from releases.models import Freeze

FROZEN_KINDS = (RELEASE_CHANGE, REROUTE)


def blocking(target, kind):
    """The freeze that refuses `kind` on `target` now, or None."""
    return Freeze.in_force(target) if kind in FROZEN_KINDS else None


def describe(freeze):
    """What a refused operator reads: who froze it, until when, and why."""
    until = timezone.localtime(freeze.end_at())
    who = freeze.set_by.get_username() if freeze.set_by else "an admin"
    weekly = f" (weekly, {freeze.schedule})" if freeze.schedule else ""
    return f"Frozen until {until:%Y-%m-%d %H:%M} {until.tzname()}{weekly} by {who}: “{freeze.reason}”."


def set_freeze(target, *, until, reason, user, weekdays=(), daily_from=None, daily_until=None, request=None):
    """From now until `until`; with `weekdays`, only on those days from `daily_from` to `daily_until`."""
    with transaction.atomic():
        freeze = Freeze.objects.create(
            target=target,
            ends_at=until,
            reason=reason,
            set_by=user,
            weekdays=[int(day) for day in weekdays],
            daily_from=daily_from if weekdays else None,
            daily_until=daily_until if weekdays else None,
        )
        _audit(events.FREEZE_SET, freeze, user, request, reason, schedule=freeze.schedule)
    target.bump()
    return freeze


def end_freeze(freeze, *, user, request=None):
    """End a freeze now; one that ended already (twice clicked, or past its time) is left as it is."""
    now = timezone.now()
    with transaction.atomic():
        ended = Freeze.objects.filter(pk=freeze.pk, ended_at__isnull=True, ends_at__gt=now).update(
            ended_at=now, ended_by=user
        )
        if ended:
            _audit(events.FREEZE_ENDED, freeze, user, request, "")
    freeze.target.bump()
    return bool(ended)


def record_override(freeze, kind, *, user, reason, request=None):
    """In the transaction that creates the action: the admin sent `kind` during `freeze`, and why."""
    _audit(events.FREEZE_OVERRIDDEN, freeze, user, request, reason, kind=kind)


def _audit(action, freeze, user, request, reason, **params):
    record(
        action,
        outcome=AuditEvent.SUCCEEDED,
        user=user,
        request=request,
        target_type="freeze",
        target_id=freeze.pk,
        scope=freeze.target.name,
        reason=reason or freeze.reason,
        params={"until": freeze.ends_at.isoformat(), **params},
    )
