"""Releases as the audit log tells them: one pipeline execution within a scope, joined from its events.

The join follows the conventions of dashboard/events.py: an event belongs to a release through
`params["execution_id"]`, through a `params["deployment_id"]` (or a deployment `target_id`) that an earlier
event tied to the execution, or by following (`follows`) an operator request that belongs to it. A rollback
deployment belongs to the release it rolled back but never counts as traffic on the new version.

Everything here works on plain dicts of event values, so the timeline and the insights share it and tests
can feed it hand-made events.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

from dashboard import events
from dashboard.audit import AuditEvent

SUCCEEDED, FAILED, ROLLED_BACK, SUPERSEDED, IN_PROGRESS = (
    "succeeded",
    "failed",
    "rolled_back",
    "superseded",
    "in_progress",
)
STATUS_LABELS = {
    SUCCEEDED: "Succeeded",
    FAILED: "Failed",
    ROLLED_BACK: "Rolled back",
    SUPERSEDED: "Superseded",
    IN_PROGRESS: "In progress",
}
BAD = (FAILED, ROLLED_BACK)
BAD_STATUSES = ("Failed", "Stopped")

RELEASE_ACTIONS = (
    events.EXECUTION_STARTED,
    events.STAGE_FAILED,
    events.EXECUTION_FINISHED,
    events.DEPLOYMENT_CREATED,
    events.LIFECYCLE_EVENT,
    events.DEPLOYMENT_READY,
    events.TRAFFIC_REROUTED,
    events.ORIGINAL_TERMINATED,
    events.DEPLOYMENT_FINISHED,
    events.ROLLED_BACK,
    *events.OPERATOR_ACTIONS,
)
EVENT_FIELDS = ("id", "created_at", "actor_name", "action", "scope", "target_id", "outcome", "params", "follows_id")


@dataclass
class Release:
    scope: str
    execution_id: str
    started_at: datetime
    pushed_at: datetime
    image: dict = field(default_factory=dict)
    deployment_ids: list = field(default_factory=list)
    rollback_deployment_ids: list = field(default_factory=list)
    traffic_at: datetime | None = None  # first moment production traffic was on the new version
    execution_status: str = ""
    execution_finished_at: datetime | None = None
    deployment_status: str = ""
    deployment_finished_at: datetime | None = None
    first_bad_at: datetime | None = None  # first failure observed (a retry may still rescue the release)
    rolled_back_at: datetime | None = None

    @property
    def status(self):
        if self.rolled_back_at:
            return ROLLED_BACK
        if self.execution_status:
            return {"Succeeded": SUCCEEDED, "Superseded": SUPERSEDED}.get(self.execution_status, FAILED)
        if self.deployment_status == "Succeeded":
            return SUCCEEDED
        if self.deployment_status in BAD_STATUSES:
            return FAILED
        return IN_PROGRESS

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def failed_at(self):
        """When a failed or rolled-back release was known to be bad."""
        if self.status == ROLLED_BACK:
            return min(t for t in (self.first_bad_at, self.rolled_back_at) if t)
        if self.status == FAILED:
            return self.first_bad_at or self.execution_finished_at
        return None

    @property
    def good_at(self):
        """When a succeeded release had the new version serving (or, lacking that, was finished)."""
        if self.status != SUCCEEDED:
            return None
        return self.traffic_at or self.deployment_finished_at or self.execution_finished_at

    @property
    def lead_time(self):
        """From image push to production traffic on the new version."""
        return max(self.traffic_at - self.pushed_at, timedelta(0)) if self.traffic_at else None


def _first(current, when):
    return when if current is None or when < current else current


def _aware(value):
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed and parsed.tzinfo else None


def _pushed_at(params, started_seen_at):
    """When the image was pushed, on the dashboard's clock like every other time here (an event's created_at).
    AWS stamped the push and the execution's start with its own clock, which differs from ours: their difference
    is taken on AWS's clock and counted back from when the dashboard recorded the start."""
    pushed, started = _aware(params.get("image_pushed_at")), _aware(params.get("started_at"))
    if pushed is None:
        return started_seen_at
    if started is None:  # an event without AWS's start time: the push cannot have come after the start was seen
        return min(pushed, started_seen_at)
    return started_seen_at - max(started - pushed, timedelta(0))


class ReleaseJoin:
    """Feed events in time order; `releases` then holds every release that was seen starting."""

    def __init__(self):
        self.releases = {}  # (scope, execution_id) → Release
        self._deployments = {}  # (scope, deployment_id) → Release
        self._rollbacks = set()  # (scope, rollback deployment_id)
        self._requests = {}  # id of an operator request → Release

    def release_of(self, event):
        scope, params = event["scope"], event["params"] or {}
        execution_id = params.get("execution_id")
        if execution_id:
            return self.releases.get((scope, str(execution_id)))
        for deployment_id in (params.get("deployment_id"), event["target_id"], params.get("rollback_of")):
            if deployment_id and (scope, str(deployment_id)) in self._deployments:
                return self._deployments[(scope, str(deployment_id))]
        return self._requests.get(event.get("follows_id"))

    def is_rollback_deployment(self, event):
        params = event["params"] or {}
        deployment_id = params.get("deployment_id") or event["target_id"]
        return (event["scope"], str(deployment_id)) in self._rollbacks

    def _deployment(self, release, scope, deployment_id, *, rollback=False):
        key = (scope, str(deployment_id))
        if rollback:
            self._rollbacks.add(key)
        if key not in self._deployments:
            self._deployments[key] = release
            ids = release.rollback_deployment_ids if key in self._rollbacks else release.deployment_ids
            ids.append(str(deployment_id))

    def add(self, event):
        """Take one event into its release (if it has one); returns that release or None."""
        action, params, when, scope = event["action"], event["params"] or {}, event["created_at"], event["scope"]
        if action == events.EXECUTION_STARTED and params.get("execution_id"):
            key = (scope, str(params["execution_id"]))
            if key not in self.releases:
                image = {
                    k: params[k] for k in ("image_digest", "image_tag", "image_uri", "source_revision") if params.get(k)
                }
                pushed_at = _pushed_at(params, when)
                self.releases[key] = Release(*key, started_at=when, pushed_at=pushed_at, image=image)
            release = self.releases[key]
        else:
            release = self.release_of(event)
        if release is None:
            return None
        if params.get("deployment_id"):
            # The release console also marks a rollback's own deployment with `rollback_of`.
            self._deployment(release, scope, params["deployment_id"], rollback=bool(params.get("rollback_of")))
            if params.get("rollback_of"):
                release.rolled_back_at = _first(release.rolled_back_at, when)
        if action in events.OPERATOR_ACTIONS and event["outcome"] == AuditEvent.REQUESTED:
            self._requests[event["id"]] = release
        if action != events.EXECUTION_STARTED:
            self._observe(release, event, action, params, when)
        return release

    def _observe(self, release, event, action, params, when):
        status = params.get("status", "")
        if action == events.ROLLED_BACK:
            release.rolled_back_at = _first(release.rolled_back_at, when)
            if params.get("rollback_deployment_id"):
                self._deployment(release, event["scope"], params["rollback_deployment_id"], rollback=True)
        elif action == events.ROLLBACK and event["outcome"] == AuditEvent.SUCCEEDED:
            release.rolled_back_at = _first(release.rolled_back_at, when)
        elif action == events.EXECUTION_FINISHED:
            release.execution_status, release.execution_finished_at = status, when
            if status in BAD_STATUSES:
                release.first_bad_at = _first(release.first_bad_at, when)
        elif action == events.STAGE_FAILED:
            release.first_bad_at = _first(release.first_bad_at, when)
        elif self.is_rollback_deployment(event):
            return  # the rollback's own deployment: traffic back on the old version
        elif action == events.TRAFFIC_REROUTED:
            release.traffic_at = _first(release.traffic_at, when)
        elif action == events.DEPLOYMENT_FINISHED:
            release.deployment_status, release.deployment_finished_at = status, when
            if status == "Succeeded":
                release.traffic_at = _first(release.traffic_at, when)
            elif status in BAD_STATUSES:
                release.first_bad_at = _first(release.first_bad_at, when)


def join_releases(event_values):
    """Releases (in order of start) from event dicts with EVENT_FIELDS, given oldest first."""
    join = ReleaseJoin()
    for event in event_values:
        join.add(event)
    return sorted(join.releases.values(), key=lambda r: (r.started_at, r.scope, r.execution_id))
