"""Hand-made audit events for the history, export and insights tests, at chosen moments.

AuditEvent.created_at is set by the database layer (auto_now_add), so the moment is chosen by holding
Django's clock still while the event is recorded — the product's own `record()` writes every event.
"""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from conftest import make_user
from dashboard import events
from dashboard.audit import AuditEvent, record

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def event(action, when, *, outcome=AuditEvent.OBSERVED, scope="shop", **fields):
    with at(when):
        return record(action, outcome=outcome, scope=scope, **fields)


def release(scope, execution_id, start, *, pushed=None, deployment=None, story=(), digest="sha256:abc"):
    """An execution start, then `story`: (minutes after start, action, extra params[, fields]) tuples."""
    params = {"execution_id": execution_id, "image_digest": digest, "image_tag": "v1"}
    if pushed is not None:
        params["image_pushed_at"] = pushed.isoformat()
    made = [event(events.EXECUTION_STARTED, start, scope=scope, params=params)]
    for step in story:
        minutes, action, extra, *rest = step
        fields = rest[0] if rest else {}
        step_params = {"execution_id": execution_id, **({"deployment_id": deployment} if deployment else {}), **extra}
        made.append(event(action, start + timedelta(minutes=minutes), scope=scope, params=step_params, **fields))
    return made


def blue_green(scope, execution_id, start, deployment, *, reroute_after=30, finish_after=45, pushed=None):
    """A release that goes all the way: deployment, hooks, ready, reroute, original terminated, success."""
    return release(
        scope,
        execution_id,
        start,
        pushed=pushed,
        deployment=deployment,
        story=[
            (1, events.DEPLOYMENT_CREATED, {}),
            (5, events.LIFECYCLE_EVENT, {"event": "AfterAllowTestTraffic", "status": "Succeeded"}),
            (10, events.DEPLOYMENT_READY, {}),
            (reroute_after, events.TRAFFIC_REROUTED, {}),
            (finish_after - 1, events.ORIGINAL_TERMINATED, {}),
            (finish_after, events.DEPLOYMENT_FINISHED, {"status": "Succeeded"}),
            (finish_after + 1, events.EXECUTION_FINISHED, {"status": "Succeeded"}),
        ],
    )


ACTIONS = [
    (events.SIGN_IN, AuditEvent.SUCCEEDED),
    (events.REROUTE, AuditEvent.REQUESTED),
    (events.REROUTE, AuditEvent.SUCCEEDED),
    (events.EXECUTION_STARTED, AuditEvent.OBSERVED),
    (events.DEPLOYMENT_FINISHED, AuditEvent.OBSERVED),
    (events.ROLLBACK, AuditEvent.FAILED),
    (events.CONNECTION_CHECK, AuditEvent.REQUESTED),
]
SCOPES = ["shop", "api", ""]


@pytest.fixture(name="seeded")
def seeded_fixture(db):
    """130 events, 37 minutes apart from BASE, across scopes, people, kinds and outcomes (oldest first)."""
    people = [make_user("otto", "operator"), make_user("vera", "viewer"), None]
    made = []
    for i in range(130):
        action, outcome = ACTIONS[i % len(ACTIONS)]
        user = people[i % 3] if outcome != AuditEvent.OBSERVED else None
        failed = outcome == AuditEvent.FAILED
        made.append(
            AuditEvent(
                action=action,
                outcome=outcome,
                actor=user,
                actor_name=user.username if user else "system",
                scope=SCOPES[i % 3],
                reason=f"reason {i}",
                params={"execution_id": f"exec-{i // 10}", "n": i},
                aws_request_id="req-1" if failed else "",
                error_code="DeploymentAlreadyCompleted" if failed else "",
                error_message="The deployment is done." if failed else "",
            )
        )
    moments = iter([BASE + timedelta(minutes=37 * i) for i in range(130)])
    with mock.patch("django.utils.timezone.now", side_effect=lambda: next(moments)):
        AuditEvent.objects.bulk_create(made)  # one insert; created_at comes from the clock, one tick per event
    return list(AuditEvent.objects.order_by("-created_at", "-id"))


def newest_first():
    return list(AuditEvent.objects.order_by("-created_at", "-id"))


def t(minutes):
    return BASE + timedelta(minutes=minutes)


# (query string, which events it must show): the expectation is written independently of the filter code.
FILTERS = [
    ("", lambda e: True),
    ("scope=shop", lambda e: e.scope == "shop"),
    ("user=otto", lambda e: e.actor_name == "otto"),
    ("user=system", lambda e: e.actor_name == "system"),
    ("kind=release.reroute", lambda e: e.action == events.REROUTE),
    ("kind=group:operator", lambda e: e.action in events.OPERATOR_ACTIONS),
    ("kind=group:access", lambda e: e.action.startswith(("auth.", "user.", "aws."))),
    ("outcome=failed", lambda e: e.outcome == "failed"),
    ("since=2026-03-03&until=2026-03-03", lambda e: e.created_at.date().isoformat() == "2026-03-03"),
    # "From" and "To" are both inclusive: events at exactly 12:42:00 and 14:33:00 are shown.
    ("since=2026-03-02T12:42&until=2026-03-02T14:33", lambda e: t(222) <= e.created_at < t(334)),
    ("until=2026-03-02T18:50", lambda e: e.created_at < t(591)),
    (
        "scope=shop&kind=group:operator&outcome=requested",
        lambda e: e.scope == "shop" and e.action in events.OPERATOR_ACTIONS and e.outcome == "requested",
    ),
    (
        "scope=api&user=vera&since=2026-03-02T20:00&until=2026-03-04",
        lambda e: e.scope == "api" and e.actor_name == "vera" and t(660) <= e.created_at < t(60 * 63),
    ),
    ("scope=nowhere", lambda e: False),
]
FILTER_IDS = [query or "no-filter" for query, _ in FILTERS]
