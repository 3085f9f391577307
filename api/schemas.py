"""What the API answers and accepts, as published in its OpenAPI document (/api/schema)."""

from datetime import datetime
from typing import Literal

from ninja import Schema


class Error(Schema):
    detail: str
    # a 409's kind when it has one: "frozen" (a freeze refuses release changes and reroutes), "four_eyes" (a second
    # operator approves it in the console), "smoke_checks" (Reroute waits for the smoke checks to pass)
    code: str = ""


class FieldErrors(Schema):
    detail: str
    errors: dict[str, list[str]]


class AwsError(Schema):
    """AWS's error as the console shows it: its code and message."""

    code: str
    message: str


class Execution(Schema):
    execution_id: str
    status: str
    started_at: datetime | None
    updated_at: datetime | None


class Deployment(Schema):
    deployment_id: str
    status: str
    created_at: datetime | None
    completed_at: datetime | None
    rollback_of: str
    error: AwsError | None


class Traffic(Schema):
    original: int
    replacement: int
    rolled_back: bool
    label: str


class NeedsAction(Schema):
    what: str
    until: datetime | None
    then: str


class TargetSummary(Schema):
    id: int
    name: str
    pipeline_name: str  # blank: an ECS service tracked without a pipeline
    engine: str  # "codedeploy", or "ecs": ECS deploys it blue/green itself (service_deployment, not deployment)
    region: str
    connection: str  # the AWS connection's name; blank: the dashboard's own credentials
    account: str  # the account it is in, as the connection's latest check found (blank: not known)
    version: int
    active: bool
    gone_since: datetime | None
    console_url: str
    execution: Execution | None
    deployment: Deployment | None
    traffic: Traffic | None
    needs_action: NeedsAction | None


class TargetList(Schema):
    version: str  # changes whenever any target's shown state does (the ETag)
    targets: list[TargetSummary]


class Action(Schema):
    id: int
    target_id: int
    kind: str
    label: str
    status: Literal["requested", "sent", "confirmed", "rejected", "failed", "timed_out"]
    is_open: bool
    reason: str
    params: dict
    requested_by: str
    created_at: datetime
    finished_at: datetime | None
    request_id: str
    answer: str
    error: AwsError | None
    status_url: str


class LifecycleEvent(Schema):
    name: str
    status: str
    start_at: datetime | None
    end_at: datetime | None
    seconds: float | None


class SmokeAttempt(Schema):
    check: int  # the check's number in `checks`, from 0
    url: str
    status: int | None  # the HTTP status; null: no answer (see `reason`)
    ms: int
    ok: bool
    reason: str  # why it failed
    at: datetime


class SmokeRun(Schema):
    """One run of the target's smoke checks against one phase of a deployment, attempt by attempt."""

    id: int
    deployment_id: str
    phase: Literal["test", "production"]
    status: Literal["pending", "running", "passed", "failed", "cancelled", "timed_out"]
    url: str
    checks: list[dict]
    planned_attempts: int
    attempts: list[SmokeAttempt]
    reason: str
    policy: dict
    follow_up: str  # what its policy still does: waiting, requested, held, left_to_people, not_possible, or ""
    follow_up_note: str
    action_id: int | None  # the action its policy asked for
    started_at: datetime | None
    finished_at: datetime | None


class Alarm(Schema):
    name: str
    state: str  # OK, ALARM, INSUFFICIENT_DATA (MISSING: no such alarm; blank: not read yet)
    reason: str
    updated_at: str


class Alarms(Schema):
    """The deployment group's CloudWatch alarms: AWS stops a deployment on ALARM when `enabled`."""

    enabled: bool
    ignore_poll_failure: bool
    rollback_on_alarm: bool
    alarms: list[Alarm]
    error: str
    read_at: datetime | None


class TargetState(TargetSummary):
    """One target's live state: the snapshot the console page reads, at `version`."""

    changed: Literal[True] = True
    release_execution_id: str
    rollback: Deployment | None
    lifecycle: list[LifecycleEvent]
    rollback_lifecycle: list[LifecycleEvent]
    task_sets: list[dict]
    stages: list[dict]
    open_actions: list[Action]
    recent_actions: list[Action]
    last_answer: str
    smoke_runs: list[SmokeRun]  # of the release shown
    reroute_blocked_by: str  # why the smoke checks' policy refuses Reroute now, or ""
    alarms: Alarms | None
    service_deployment: dict | None = None  # engine "ecs": the newest service deployment, as the console shows it


class Unchanged(Schema):
    """The answer to `?version=N` while the target is still at version N."""

    version: int
    changed: Literal[False] = False


class Offer(Schema):
    kind: str
    label: str
    what: str
    danger: bool
    params: dict


class Offers(Schema):
    target_id: int
    version: int
    may_request: bool  # whether this token may request them (operate scope, and an owner who is an operator)
    actions: list[Offer]


class ActionRequest(Schema):
    reason: str
    deployment_id: str = ""  # the ids you saw (from /actions): refused if the state moved on since
    execution_id: str = ""
    stage: str = ""
    abandon: bool = False  # stop_execution only: abandon running actions instead of waiting for them
    override_freeze: str = ""  # admins: the reason to send a release change or reroute during a freeze


class FourEyesRequest(Schema):
    """An action under four eyes: asked, it waits for a different operator, who approves (the action is then
    requested once: follow `action_url`) or declines it; unanswered, it expires."""

    four_eyes: Literal[True] = True  # tells it from an Action in a request's 202
    id: int
    target_id: int
    kind: str
    label: str
    status: Literal["pending", "approved", "declined", "expired"]
    reason: str
    override_freeze: str  # the admin requester's reason to send it during a freeze, if any
    requested_by: str
    created_at: datetime
    expires_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_reason: str
    action_url: str  # the action once approved (blank before)
    status_url: str


class Decision(Schema):
    reason: str


class Event(Schema):
    id: int
    created_at: datetime
    actor_name: str
    action: str
    label: str
    outcome: str
    scope: str
    target_type: str
    target_id: str
    reason: str
    params: dict
    aws_request_id: str
    error_code: str
    error_message: str
    ip_address: str | None
    user_agent: str
    follows_id: int | None


class EventPage(Schema):
    events: list[Event]
    next_before: int | None  # pass as `before` for the next (older) page; null: no more
