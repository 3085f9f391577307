"""Requesting an operator action, in the web request: a row and its `requested` audit event, in one transaction.

An action is requested → sent → confirmed | rejected | failed. A partial unique index allows one open action per
target, kind and subject (deployment or execution), so a double click or two operators at once make one row; the
worker that moves the row from requested to sent (a conditional update) calls AWS
(releases/worker/action_sending.py).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard import jobs
from dashboard.audit import AuditEvent, record
from dashboard.roles import ADMIN, has_role
from releases import freezes, smoke
from releases.action_kinds import KINDS, REROUTE
from releases.models import OperatorAction
from releases.offers import available

A = OperatorAction


class ActionRefused(Exception):
    """The action is not possible in the target's current state; the message says why."""

    code = ""  # the API's name for the kind of refusal, when it has one


class AlreadyRequested(ActionRefused):
    def __init__(self, action):
        who = action.requested_by.get_username() if action.requested_by else "someone"
        at = timezone.localtime(action.created_at)
        super().__init__(
            f"{who} already asked for “{action.get_kind_display()}” at {at:%H:%M:%S}"
            f" ({action.status}){'; it is being handled' if action.is_open else ''}."
        )
        self.action = action


class Frozen(ActionRefused):
    """Refused by a freeze in force; `code` names it for the API."""

    code = "frozen"

    def __init__(self, freeze):
        super().__init__(freezes.describe(freeze))
        self.freeze = freeze


class SmokeBlocked(ActionRefused):
    """The target's smoke checks have not passed, and its policy makes Reroute wait for them."""

    code = "smoke_checks"

    def __init__(self, why):
        super().__init__(
            f"{why}: on this target Reroute waits until the smoke checks pass on the test listener "
            "(an admin can change that in its smoke check settings)."
        )


class NeedsSecondOperator(ActionRefused):
    """Four eyes: this target's admin chose that a second operator approves this action (asked in the console)."""

    code = "four_eyes"

    def __init__(self, label):
        super().__init__(f"“{label}” needs a second operator on this target: ask in the console.")


def request_from_form(target, kind, form, request):
    """`request_action` with what a valid ActionForm holds, by the request's user (the console's and the API's)."""
    return request_action(
        target,
        kind,
        user=request.user,
        reason=form.cleaned_data["reason"],
        expected=form.expected(),
        extra=form.extra(),
        override=form.override(),
        request=request,
    )


def request_action(
    target, kind, *, user, reason, expected=None, extra=None, override="", approved_by=None, request=None, actor=""
):
    """Create the action row and its `requested` event; the worker sends it once this commits.

    `expected` are the ids the operator saw (deployment, execution, stage): if the state moved on since the page
    was drawn, the action is refused rather than applied to something else. `override`: an admin's reason for
    sending it during a freeze (refused without one). `approved_by`: the second operator (four eyes), named in
    the audit beside the requester. `actor`: who asks when no person does (`user` None): the smoke checks' policy.
    """
    label = KINDS[kind].label
    if kind in (target.four_eyes_kinds or []) and approved_by is None:
        raise NeedsSecondOperator(label)
    offered, freeze = check_possible(target, kind, expected=expected, user=user, override=override)
    params = {**offered, **(extra or {})}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                action = OperatorAction.objects.create(
                    target=target,
                    kind=kind,
                    params=params,
                    subject=A.subject_of(params),
                    reason=reason,
                    requested_by=user,
                    actor_name=actor,
                    region=target.region,
                    profile=target.profile,
                    aws_connection_id=target.aws_connection_id,
                )
                # Checked after the insert, which fails while the same action is open: one that closed just before
                # is visible here, so no moment lets a second one through.
                done = _done_since_last_refresh(target, kind, offered, excluding=action.pk)
                if done is not None:
                    raise AlreadyRequested(done)
                event = record(
                    KINDS[kind].event,
                    outcome=AuditEvent.REQUESTED,
                    user=user,
                    actor_name=actor,
                    request=request,
                    target_type="action",
                    target_id=action.pk,
                    scope=target.name,
                    reason=reason,
                    params={
                        "kind": kind,
                        **params,
                        **({"approved_by": approved_by.get_username()} if approved_by else {}),
                        **({"override_freeze": override} if freeze else {}),
                    },
                )
                OperatorAction.objects.filter(pk=action.pk).update(audit_event_id=event.pk)
                if freeze:
                    freezes.record_override(freeze, kind, user=user, reason=override, request=request)
                action.audit_event_id = event.pk
                transaction.on_commit(lambda job=action: jobs.enqueue(job))
            target.bump()
            return action
        except IntegrityError:
            existing = OperatorAction.objects.filter(
                target=target, kind=kind, subject=A.subject_of(params), status__in=A.OPEN
            ).first()
            if existing is None:
                continue  # it closed in between: try once more
            raise AlreadyRequested(existing) from None
    raise ActionRefused(f"“{label}” could not be requested; try again.")


def check_possible(target, kind, *, expected=None, user=None, override=""):
    """(the parameters AWS takes, the freeze overridden or None), or ActionRefused saying why not now."""
    offered = available(target).get(kind)
    label = KINDS[kind].label
    if offered is None:
        raise ActionRefused(f"“{label}” is not possible in the current state.")
    for key, value in (expected or {}).items():
        if value and offered.get(key) and offered[key] != value:
            raise ActionRefused(
                f"“{label}” was not sent: the {key.replace('_', ' ')} changed since the page was shown."
            )
    freeze = freezes.blocking(target, kind)
    if freeze and not (override and has_role(user, ADMIN)):
        raise Frozen(freeze)
    if kind == REROUTE and (blocked := smoke.reroute_block(target)):
        raise SmokeBlocked(blocked)
    return offered, freeze


def _done_since_last_refresh(target, kind, offered, excluding):
    """The same action, already accepted by AWS after the state shown was read: doing it again would be a second
    call for one intention (a double click that came after the first was sent)."""
    done = OperatorAction.objects.filter(target=target, kind=kind, status=A.CONFIRMED).exclude(pk=excluding)
    done = done.select_related("requested_by")
    if target.polled_at is not None:
        done = done.filter(finished_at__gte=target.polled_at)
    for action in done.order_by("-finished_at")[:5]:
        if all(action.params.get(key) == value for key, value in offered.items()):
            return action
    return None
