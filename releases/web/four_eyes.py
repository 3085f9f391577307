"""Four eyes: per target, the actions a second operator must approve. Asking for one makes a pending request
instead of the action; a different operator approves it (the action is then requested once, by the usual
`request_action`, its audit naming both) or declines it, each with a reason; unanswered, it expires after
FOUR_EYES_MINUTES."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard import events
from dashboard.audit import AuditEvent, record
from releases import action_requests
from releases.action_kinds import KINDS
from releases.models import FourEyesRequest
from releases.web.forms import FOUR_EYES_CHOOSABLE as CHOOSABLE

R = FourEyesRequest


def needed(target, kind):
    return kind in (target.four_eyes_kinds or [])


def choose(target, kinds, *, user, request=None):
    target.four_eyes_kinds = [kind for kind in CHOOSABLE if kind in kinds]
    target.save(update_fields=["four_eyes_kinds"])
    record(
        events.FOUR_EYES_KINDS_SET,
        outcome=AuditEvent.SUCCEEDED,
        user=user,
        request=request,
        target_type="target",
        target_id=target.pk,
        scope=target.name,
        params={"kinds": target.four_eyes_kinds},
    )
    target.bump()


def ask(target, kind, form, request):
    """A pending request for `kind`, with the reason and ids of a valid ActionForm; refused (ActionRefused) as
    the action itself would be now, so nobody is asked to approve what cannot be done."""
    action_requests.check_possible(target, kind, expected=form.expected(), user=request.user, override=form.override())
    with transaction.atomic():
        asked = R.objects.create(
            target=target,
            kind=kind,
            expected=form.expected(),
            extra=form.extra(),
            reason=form.cleaned_data["reason"],
            override_reason=form.override(),
            requested_by=request.user,
            expires_at=timezone.now() + timedelta(minutes=settings.FOUR_EYES_MINUTES),
        )
        _audit(events.FOUR_EYES_REQUESTED, asked, request.user, request, asked.reason)
    target.bump()
    return asked


def approve(asked, *, user, reason, request=None):
    """Request the action, once, credited to both; ActionRefused says why not (own request, decided, expired, or
    the action itself refused now)."""
    with transaction.atomic():
        _check_open(asked, user)
        if not R.objects.filter(pk=asked.pk, status=R.PENDING).update(
            status=R.APPROVED, decided_by=user, decided_at=timezone.now(), decision_reason=reason
        ):
            raise action_requests.ActionRefused("This request was answered already.")
        action = action_requests.request_action(
            asked.target,
            asked.kind,
            user=asked.requested_by,
            reason=asked.reason,
            expected=asked.expected,
            extra=asked.extra,
            override=asked.override_reason,
            approved_by=user,
            request=request,
        )
        R.objects.filter(pk=asked.pk).update(action=action)
        _audit(events.FOUR_EYES_APPROVED, asked, user, request, reason, action_id=action.pk)
    asked.target.bump()
    return action


def decline(asked, *, user, reason, request=None):
    with transaction.atomic():
        _check_open(asked, user)
        if not R.objects.filter(pk=asked.pk, status=R.PENDING).update(
            status=R.DECLINED, decided_by=user, decided_at=timezone.now(), decision_reason=reason
        ):
            raise action_requests.ActionRefused("This request was answered already.")
        _audit(events.FOUR_EYES_DECLINED, asked, user, request, reason)
    asked.target.bump()


def _check_open(asked, user):
    if asked.requested_by_id == user.pk:
        raise action_requests.ActionRefused("You asked for this; a different operator must answer it.")
    if asked.status != R.PENDING:
        raise action_requests.ActionRefused(f"This request was {asked.status} already.")
    if asked.expired:
        raise action_requests.ActionRefused("This request expired; ask again.")


def choices(target):
    """(kind, label, chosen) of each action an admin may put under four eyes."""
    return [(kind, KINDS[kind].label, needed(target, kind)) for kind in CHOOSABLE]


def recent(target):
    """What the console lists: the open requests, and the last few answered or expired."""
    return list(target.four_eyes_requests.select_related("requested_by", "decided_by")[:5])


def _audit(action, asked, user, request, reason, **params):
    record(
        action,
        outcome=AuditEvent.SUCCEEDED,
        user=user,
        request=request,
        target_type="four_eyes",
        target_id=asked.pk,
        scope=asked.target.name,
        reason=reason,
        params={
            "kind": asked.kind,
            "label": KINDS[asked.kind].label,
            "requested_by": asked.requested_by.get_username() if asked.requested_by else "",
            # The ids the requester saw: the release's timeline shows the request at its step.
            **{key: value for key, value in asked.expected.items() if value and key != "stage"},
            **params,
        },
    )
