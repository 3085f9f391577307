"""One release, told in order: image pushed → execution started → deployment created → test traffic → reroute →
original terminated (or rolled back), with what operators did at each step from the audit history. For a service
ECS deploys blue/green itself: its service deployment, test traffic, production traffic, then the bake time's end."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from dashboard import events
from dashboard.audit import AuditEvent
from releases import service_deployments, smoke
from releases.action_kinds import KINDS
from releases.models import Deployment, Execution

DONE, CURRENT, PENDING, FAILED = "done", "current", "pending", "failed"
STEP_OF_ACTION = {
    events.RELEASE_CHANGE: "started",
    events.STOP_EXECUTION: "started",
    events.RETRY_STAGE: "started",
    events.REDEPLOY_PREVIOUS: "deployment",
    events.REROUTE: "reroute",
    events.ROLLBACK: "end",
    events.TERMINATE_ORIGINAL: "end",
}
FOUR_EYES_EVENTS = (events.FOUR_EYES_REQUESTED, events.FOUR_EYES_DECLINED)
CARRIED = ("approved_by", "override_freeze")  # kept from a request when its outcome is shown in its place


@dataclass
class Step:
    key: str
    title: str
    state: str = PENDING
    at: datetime | None = None
    detail: str = ""
    actions: list = field(default_factory=list)


@dataclass
class Release:
    execution: Execution | None
    deployment: Deployment | None
    rollback: Deployment | None
    steps: list = field(default_factory=list)
    service_deployment: service_deployments.ServiceDeployment | None = None


def current_release(target, execution_id=None):
    """The release shown: the given execution's, else the newest execution or deployment."""
    execution = None
    if execution_id:
        execution = target.executions.filter(execution_id=execution_id).first()
    deployment = None
    if execution is None:
        execution = target.executions.exclude(status__in=("Superseded",)).first()
        latest = target.latest_release_deployment()
        if (
            latest
            and not latest.execution_id
            and (execution is None or _later(latest.created_at, execution.started_at))
        ):
            execution, deployment = None, latest
    if execution is not None:
        deployment = target.deployments.filter(rollback_of="", execution_id=execution.execution_id).first()
    rollback = None
    if deployment and deployment.rollback_deployment_id:
        rollback = target.deployments.filter(deployment_id=deployment.rollback_deployment_id).first()
    release = Release(execution, deployment, rollback)
    if target.is_ecs:
        linked = target.service_deployments.filter(execution_id=execution.execution_id) if execution else None
        release.service_deployment = linked.first() if linked else target.latest_service_deployment()
    release.steps = steps(target, release)
    return release


def _later(a, b):
    return a is not None and (b is None or a > b)


def _event(deployment, name):
    if deployment is None:
        return {}
    return next((e for e in deployment.lifecycle_events if e["name"] == name), {})


def _when(value):
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def steps(target, release):
    e, d, r = release.execution, release.deployment, release.rollback
    pushed = Step("pushed", "Image pushed")
    if e and (e.image_digest or e.image_pushed_at):
        pushed.state, pushed.at = DONE, e.image_pushed_at
        pushed.detail = f"{e.image_tag or 'image'} {e.image_digest[:19]}".strip()
    started = Step("started", "Execution started")
    if e:
        started.state = FAILED if e.status in ("Failed", "Stopped") else DONE
        started.at = e.started_at
        started.detail = f"{e.trigger.get('triggerType', '')} · execution {e.status.lower()}".strip(" ·")
    if target.is_ecs:
        result = [pushed, started, *_ecs_steps(release.service_deployment)]
        _attach_actions(target, release, {s.key: s for s in result})
        return result
    created = Step("deployment", "Deployment created")
    if d:
        created.state, created.at = DONE, d.created_at
        created.detail = d.deployment_id + (f" · {d.description}" if not e and d.description else "")
    test = Step("test", "Test traffic")
    test_event = _event(d, "AllowTestTraffic")
    if test_event.get("status") == "Succeeded":
        test.state, test.at, test.detail = DONE, _when(test_event.get("end")), "test listener on the replacement"
    elif test_event.get("status") == "InProgress":
        test.state = CURRENT
    reroute = Step("reroute", "Reroute")
    allow = _event(d, "AllowTraffic")
    if d and d.status == "Ready":
        reroute.state, reroute.detail = CURRENT, "waiting for an operator"
        reroute.at = d.ready_wait_ends_at
    elif allow.get("status") == "Succeeded" and not (d and d.rollback_of):
        reroute.state, reroute.at, reroute.detail = (
            DONE,
            _when(allow.get("end")),
            "production traffic on the replacement",
        )
    elif allow.get("status") == "InProgress":
        reroute.state, reroute.detail = CURRENT, f"{d.green_weight}% on the replacement"
    end = _end_step(d, r)
    runs = smoke.runs_of(target, d)
    checks = [_smoke_step(target, runs.get(phase), phase) for phase in (smoke.TEST, smoke.PRODUCTION)]
    result = [pushed, started, created, test, checks[0], reroute, checks[1], end]
    result = [step for step in result if step is not None]
    _attach_actions(target, release, {s.key: s for s in result})
    return result


ECS_STATE = {"done": DONE, "current": CURRENT, "ended": FAILED, "to come": PENDING}


def _ecs_steps(deployment):
    """The service deployment's milestones, under the keys the operators' actions attach to."""
    created = Step("deployment", "Service deployment created")
    test, production = Step("test", "Test traffic"), Step("reroute", "Production traffic")
    end = Step("end", "Bake time over, original revision stopped")
    if deployment is None:
        return [created, test, production, end]
    created.state, created.at, created.detail = DONE, deployment.created_at, deployment.deployment_id
    stages = {row["stage"]: ECS_STATE[row["state"]] for row in deployment.steps()}
    test.state, production.state = stages["TEST_TRAFFIC_SHIFT"], stages["PRODUCTION_TRAFFIC_SHIFT"]
    split = deployment.split("production")
    if split and production.state in (CURRENT, DONE):
        production.detail = f"{split['green']}% on the new revision"
    if deployment.status == "SUCCESSFUL":
        end.state, end.at = DONE, deployment.finished_at
    elif deployment.status in service_deployments.ROLLED_BACK:
        end.title, end.state, end.at = "Rolled back", FAILED, deployment.finished_at or deployment.stopped_at
        end.detail = deployment.status_reason
    elif deployment.lifecycle_stage == "BAKE_TIME" and deployment.is_active:
        end.state, end.at, end.detail = CURRENT, deployment.bake_ends_at, "bake time: the original keeps running"
    return [created, test, production, end]


SMOKE_TITLES = {smoke.TEST: "Smoke checks on the test listener", smoke.PRODUCTION: "Smoke checks on production"}


def _smoke_step(target, run, phase):
    """A run of the target's smoke checks, where one ran (or runs) for the release's deployment."""
    if run is None:
        return None
    step = Step(f"smoke_{phase}", SMOKE_TITLES[phase])
    made = len(run.results)
    if not run.is_finished:
        step.state, step.detail = CURRENT, f"{made} of {len(run.planned)} attempts"
    elif run.passed:
        step.state, step.detail = DONE, f"passed ({made} attempts)"
    else:
        step.state, step.detail = FAILED, f"{run.get_status_display().lower()}: {run.reason}"
    if run.finished_at:  # the dashboard's own time, put on AWS's clock as the timeline's times are
        step.at = run.finished_at + timedelta(seconds=target.aws_clock_offset or 0)
    if run.follow_up_note:
        step.detail += f" · {run.follow_up_note}"
    return step


def _end_step(d, r):
    if d is None:
        return Step("end", "Original terminated")
    if d.rollback_deployment_id or (d.status in ("Failed", "Stopped")):
        end = Step("end", "Rolled back" if d.rollback_deployment_id else f"Deployment {d.status.lower()}", FAILED)
        end.at = (r.completed_at if r else None) or d.completed_at
        reason = d.error_message or d.rollback_message
        end.detail = reason + (f" · rollback {r.deployment_id} {r.status.lower()}" if r else "")
        if r and r.is_active:
            end.state = CURRENT
        return end
    end = Step("end", "Original terminated")
    if d.status == "Succeeded":
        end.state, end.at, end.detail = DONE, d.completed_at, "release finished"
    elif d.is_termination_wait:
        end.state, end.at, end.detail = CURRENT, d.termination_wait_ends_at, "termination wait"
    return end


def _carry_from_requests(shown):
    """An outcome shown in place of its request keeps what the request names: the second operator (four eyes)
    and an admin's reason to send it during a freeze."""
    follows = {event.follows_id: event for event in shown if event.follows_id}
    requests = AuditEvent.objects.filter(pk__in=follows).filter(
        Q(params__has_key="approved_by") | Q(params__has_key="override_freeze")
    )
    for pk, params in requests.values_list("pk", "params"):
        carried = {key: params[key] for key in CARRIED if key in params}
        follows[pk].params = {**follows[pk].params, **carried}


def _kind_step(event):
    spec = KINDS.get((event.params or {}).get("kind"))
    return STEP_OF_ACTION.get(spec.event if spec else None, "started")


def _attach_actions(target, release, by_key):
    ids = [x.deployment_id for x in (release.deployment, release.rollback) if x]
    query = Q(params__deployment_id__in=ids) | Q(params__new_deployment_id__in=ids) if ids else Q(pk__in=[])
    if release.execution:
        query |= Q(params__execution_id=release.execution.execution_id)
    found = AuditEvent.objects.filter(query, scope=target.name, action__in=events.OPERATOR_ACTIONS + FOUR_EYES_EVENTS)
    latest, asked = {}, []
    for event in found.order_by("created_at", "id"):
        if event.action in FOUR_EYES_EVENTS:
            asked.append(event)  # asking and declining are steps of their own; an approval shows on the action
        else:
            latest[event.target_id] = event  # the outcome replaces the request
    _carry_from_requests(latest.values())
    for event in latest.values():
        by_key[STEP_OF_ACTION.get(event.action, "started")].actions.append(event)
    for event in asked:
        by_key[_kind_step(event)].actions.append(event)
