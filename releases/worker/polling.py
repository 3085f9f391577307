"""Beat-driven refresh of tracked targets into the database; pages only ever read what this writes.

Each target carries a due time. Whoever moves it forward by a conditional update (`claim_due`) owns the refresh,
so two beats or workers never refresh the same target in the same interval, and the number of viewers does not
matter. A refresh is due every ACTIVE seconds while an execution, deployment or action is in progress, every IDLE
seconds otherwise, and backs off exponentially while AWS throttles or fails. Between refreshes an idle target is
probed with one call (`probe`), which makes it due at once when a new execution appears.

While the events of the target's account and region arrive (`EventSource.healthy`), an event makes the target due
at once (listener.py) and says what moved (`event_hints`), so a refresh reads only that, plus what moves without
an event: the ECS target of a running deployment (traffic, lifecycle hooks), every EVENTS_ACTIVE_SECONDS. An idle
target then needs no probe: one cheap look at its newest execution a minute (less often with more targets than
IDLE_CALLS_PER_SECOND allows), and everything at least every FULL_REFRESH_EVERY, should an event have been lost.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from dashboard import aws
from dashboard.models import AwsConnection
from releases import gone, service_deployments
from releases.models import Deployment, EventSource, Execution, OperatorAction, ReleaseTarget, SmokeRun
from releases.worker import alarms, smoke_runs
from releases.worker.fetch import EXECUTIONS, FULL, PROBE, TARGETS, Known, fetch
from releases.worker.observe import Observer

LEASE = timedelta(seconds=30)  # a claimed refresh that never finishes is due again after this
MAX_BACKOFF_SECONDS = 300
# A running deployment's ECS target, while events tell the rest: soon after a change (hooks come in runs, a
# second each), then less often each time nothing moved, up to "moving", and least while it waits for someone (a
# reroute, the end of the termination wait: acting through the console asks for a refresh at once).
EVENTS_ACTIVE_SECONDS = {"changed": 1.0, "moving": 4.0, "waiting": 5.0}
EVENTS_WAITING_SECONDS = 15  # active with no deployment running (a source stage, an approval): events tell
FULL_REFRESH_EVERY = {True: timedelta(minutes=2), False: timedelta(hours=1)}  # active, idle; while events arrive
IDLE_CALLS_PER_SECOND = 2  # the idle looks' share of one API's rate in an account (AWS: ~10/s), while events arrive


def active_seconds():
    return settings.RELEASES_ACTIVE_POLL_SECONDS


def idle_seconds():
    return settings.RELEASES_IDLE_POLL_SECONDS


def claim_due(now=None, limit=100):
    """The ids of targets due for a refresh, each claimed by moving its due time past a lease."""
    now = now or timezone.now()
    due = ReleaseTarget.objects.filter(poll_due_at__lte=now).order_by("poll_due_at")
    claimed = []
    for pk in due.values_list("pk", flat=True)[:limit]:
        if ReleaseTarget.objects.filter(pk=pk, poll_due_at__lte=now).update(poll_due_at=now + LEASE):
            claimed.append(pk)
    return claimed


def known(target):
    found = Known()
    found.deployments = dict(target.deployments.values_list("deployment_id", "status"))
    found.newest_created_at = target.deployments.aggregate(newest=Max("created_at"))["newest"]
    recent = target.deployments.order_by("-created_at", "-id")[: Deployment.RECENT_WITH_DETAILS]
    for deployment_id, lifecycle, task_sets, info in recent.values_list(
        "deployment_id", "lifecycle_events", "task_sets", "info"
    ):
        if lifecycle:
            found.deployments_with_targets.add(deployment_id)
        if "previous_task_definition" in (info or {}):
            found.deployments_with_previous.add(deployment_id)
        for task_set in task_sets or []:
            if task_set.get("task_definition"):
                found.task_sets[task_set["id"]] = task_set
    found.executions_detailed = set(
        target.executions.filter(details_fetched=True).values_list("execution_id", flat=True)
    )
    found.newest_execution = (
        target.executions.order_by("-started_at", "-id").values_list("execution_id", "status").first()
    )
    return found


def parts_to_read(target, events_arrive, now):
    """What a refresh reads: everything, unless events arrive and a full refresh was recent enough."""
    if not events_arrive or target.full_refresh_at is None or target.poll_error:
        return FULL
    if now - target.full_refresh_at >= FULL_REFRESH_EVERY[target.active]:
        return FULL
    hints = set(target.event_hints)
    if EXECUTIONS in hints and not target.active:
        return FULL  # a release may be starting: read it all at once
    parts = {TARGETS} | hints
    if not target.active and not hints:
        parts.add(PROBE)
    return parts


def refresh(target_id):
    """Read the target's pipeline and deployments from AWS and store them; True when something changed."""
    target = ReleaseTarget.objects.filter(pk=target_id).first()
    if target is None:  # no longer tracked
        return False
    started = timezone.now()
    source = EventSource.for_target(target)
    events_arrive = source is not None and source.healthy(started)
    try:
        seen = fetch(target, known(target), parts_to_read(target, events_arrive, started))
        alarm_fields = alarms.look(target, started)
    except aws.AwsError as error:
        _failed(target_id, error)
        if target.aws_connection_id and error.about_the_connection:
            AwsConnection.note_failure(target.aws_connection_id, error)
        return False
    if target.aws_connection_id:
        AwsConnection.note_success(target.aws_connection_id, started)
    with transaction.atomic():
        target = ReleaseTarget.objects.select_for_update().get(pk=target_id)
        changed = Observer(target, seen, baseline=target.polled_at is None).run()
        active = is_active(target)
        now = timezone.now()
        quiet = 0 if changed else min(target.quiet_refreshes + 1, 10)
        wait = _events_next_in(target, active, changed, quiet) if events_arrive else _next_in(active, changed)
        due = now + timedelta(seconds=wait)
        asked_sooner = started <= target.poll_due_at <= now  # an action or event asked for one while this one ran
        changed = changed or active != target.active or bool(target.poll_error) or alarms.changed(target, alarm_fields)
        ReleaseTarget.objects.filter(pk=target_id).update(
            pipeline_state=target.pipeline_state,
            polled_at=started,  # the state is as of when the refresh began reading it
            poll_failures=0,
            poll_error="",
            active=active,
            poll_due_at=target.poll_due_at if asked_sooner else due,
            event_hints=target.event_hints if asked_sooner else [],
            full_refresh_at=started if seen.parts >= FULL else target.full_refresh_at,
            quiet_refreshes=quiet,
            version=F("version") + (1 if changed else 0),
            **({} if seen.clock_offset is None else {"aws_clock_offset": seen.clock_offset}),
            **gone.CLEARED,  # whatever was gone from AWS is back
            **alarm_fields,
        )
    smoke_runs.after_refresh(target_id)
    return changed


def idle_targets():
    """Targets a probe may look at: idle, read at least once, not backing off from AWS errors, and not told of
    their changes by events (their refresh looks for themselves)."""
    idle = ReleaseTarget.objects.filter(active=False, poll_failures=0, polled_at__isnull=False).exclude(
        pipeline_name=""
    )
    told = EventSource.healthy_connections()
    keys = idle.values_list("pk", "region", "profile", "aws_connection")
    return [pk for pk, *key in keys if tuple(key) not in told]


def probe(target_id):
    """One call to see whether an idle target's newest execution is new or has moved (a push started one, say);
    if so the target is due for a refresh at once. True when it is. A failed call is left to the next refresh."""
    target = ReleaseTarget.objects.filter(pk=target_id, active=False).first()
    if target is None:
        return False
    try:
        answer = aws.call(
            "codepipeline",
            "list_pipeline_executions",
            target.connection(),
            pipelineName=target.pipeline_name,
            maxResults=1,
        )
    except aws.AwsError:
        return False
    newest = (answer.get("pipelineExecutionSummaries") or [None])[0]
    if newest is None:
        return False
    known = target.executions.filter(execution_id=newest["pipelineExecutionId"]).values_list("status", flat=True)
    if newest.get("status") in known:
        return False
    target.poll_soon()
    return True


def _next_in(active, changed):
    """Seconds to the next refresh. Right after a change of an active target, half the usual: changes come in
    runs (each lifecycle hook takes about a second), and the next one should show as soon as the first did."""
    if not active:
        return idle_seconds()
    return active_seconds() / 2 if changed else active_seconds()


def _events_next_in(target, active, changed, quiet):
    """Seconds to the next refresh while events arrive: soon while a deployment runs (its traffic and hooks move
    without events), else when an event comes, with a look now and then that scales with the targets of the
    account and region, so that their looks together stay within IDLE_CALLS_PER_SECOND."""
    running = [d for d in target.deployments.filter(status__in=Deployment.ACTIVE) if d.status not in d.NOT_STARTED]
    if running or target.service_deployments.filter(status__in=service_deployments.ACTIVE).exists():
        if changed:
            return EVENTS_ACTIVE_SECONDS["changed"]
        if running and all(d.needs_action for d in running):
            return EVENTS_ACTIVE_SECONDS["waiting"]
        return min(EVENTS_ACTIVE_SECONDS["changed"] * 2**quiet, EVENTS_ACTIVE_SECONDS["moving"])
    if active:
        return EVENTS_WAITING_SECONDS
    peers = target.peers().count()
    return max(idle_seconds(), peers / IDLE_CALLS_PER_SECOND)


def is_active(target):
    return (
        target.executions.filter(status__in=Execution.ACTIVE).exists()
        or target.deployments.filter(status__in=Deployment.ACTIVE).exists()
        or target.service_deployments.filter(status__in=service_deployments.ACTIVE).exists()
        or target.actions.filter(status__in=OperatorAction.OPEN).exists()
        or target.smoke_runs.filter(status__in=SmokeRun.open_statuses()).exists()
        or any(stage.get("status") == "InProgress" for stage in target.pipeline_state.get("stages", []))
    )


def _failed(target_id, error):
    """Back off: 2, 4, 8 … times the usual interval, at most five minutes; the page says why."""
    with transaction.atomic():
        target = ReleaseTarget.objects.select_for_update().get(pk=target_id)
        failures = target.poll_failures + 1
        base = active_seconds() if target.active else idle_seconds()
        wait = min(base * 2**failures, MAX_BACKOFF_SECONDS)
        if gone.is_gone_error(error):  # an answer, not trouble: look again at the idle interval, no back-off
            wait = idle_seconds()
        now = timezone.now()
        ReleaseTarget.objects.filter(pk=target_id).update(
            poll_failures=failures,
            poll_error=f"{error.code}: {error.message}",
            poll_due_at=now + timedelta(seconds=wait),
            version=F("version") + 1,
            **gone.on_failure(target, error),
        )


def refresh_soon(pipeline_name=None):
    """Refresh a target (or all) at the next beat instead of at its idle interval, e.g. right after something
    outside the console (an image push from the sandbox page) started a release."""
    targets = ReleaseTarget.objects.all()
    if pipeline_name:
        targets = targets.filter(pipeline_name=pipeline_name)
    return targets.update(poll_due_at=timezone.now())
