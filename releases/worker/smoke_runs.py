"""Smoke check runs, in workers: started by a refresh that sees a deployment's test traffic (or its termination
wait), made one attempt per task, concluded, and followed by what their policy asks, through the operators' own
`request_action` (send-once, audited, a freeze respected), by the actor "smoke checks".

Four eyes: a passing run does not stand in for a second operator. Where a reroute needs one, the run leaves the
reroute to people and says so. A rollback on failure is never held (freezes and four eyes do not cover it).
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard import jobs
from dashboard.models import LeaseLost
from releases import action_requests, offers, smoke
from releases.action_kinds import KINDS, REROUTE, ROLLBACK
from releases.models import ReleaseTarget, SmokeRun
from releases.smoke_audit import ACTOR, record_finished, record_started
from releases.worker import http_checks

log = logging.getLogger(__name__)
R = SmokeRun
PHASE_WORDS = {smoke.TEST: "the test listener", smoke.PRODUCTION: "production"}


def after_refresh(target_id):
    """What a refresh of the target means for its smoke checks: a run to start, and runs whose policy still has an
    action to ask for (a reroute waiting for the deployment to be Ready, or held by a freeze)."""
    target = ReleaseTarget.objects.filter(pk=target_id).first()
    if target is None:
        return
    start_due(target)
    for run in target.smoke_runs.filter(follow_up__in=(R.WAITING, R.HELD)):
        follow_up(run.pk)


def start_due(target):
    """The run the target's newest release deployment is due now, once per deployment and phase; None if none."""
    settings = smoke.settings_of(target)
    if settings is None:
        return None
    deployment = target.latest_release_deployment()
    phase = smoke.phase_now(deployment)
    if phase is None or not settings.runs_in(phase):
        return None
    if target.smoke_runs.filter(deployment_id=deployment.deployment_id, phase=phase).exists():
        return None
    try:
        with transaction.atomic():
            run = R.objects.create(
                target=target,
                deployment_id=deployment.deployment_id,
                execution_id=deployment.execution_id,
                phase=phase,
                url=settings.url_for(phase),
                checks=settings.checks,
                policy=settings.policy_for(phase),
            )
            target.bump()
            run.audit_event_id = record_started(run).pk
            R.objects.filter(pk=run.pk).update(audit_event_id=run.audit_event_id)
            transaction.on_commit(lambda: jobs.enqueue(run))
    except IntegrityError:  # another refresh started it a moment ago
        return None
    return run


def attempt(run_id, owner=None):
    """Make the run's next attempt: conclude the run when it failed or was the last, else queue the next one."""
    run = R.objects.select_related("target").filter(pk=run_id).first()
    if run is None or not run.claim(owner):
        return None
    try:
        deployment = run.target.deployments.filter(deployment_id=run.deployment_id).first()
        if smoke.phase_now(deployment) != run.phase:
            return _conclude(run, R.CANCELLED, reason=_moved_on(run, deployment))
        number, _ = run.planned[run.next_index]
        check = run.checks[number]
        answer = http_checks.get(
            http_checks.join(run.url, check["path"]), check["timeout"], json_wanted=bool(check.get("json_field"))
        )
        ok, why = http_checks.evaluate(check, answer)
        result = {
            "check": number,
            "url": answer.url,
            "status": answer.status,
            "ms": answer.ms,
            "ok": ok,
            "reason": why,
            "at": timezone.now().isoformat(),
        }
        results = [*run.results, result]
        if not ok:
            return _conclude(run, R.FAILED, reason=f"GET {answer.url}: {why}", results=results)
        if run.next_index + 1 == len(run.planned):
            return _conclude(run, R.PASSED, results=results)
        _next(run, results, check)
    except LeaseLost:
        return None
    return run


def _next(run, results, check):
    """Save the attempt, free the run for the next attempt's task, and queue it: the check's interval later, at once
    when the next attempt is of the next check. Should that task be lost, the run's lease runs out after it was due
    and the sweeper queues it again."""
    following, _ = run.planned[run.next_index + 1]
    wait = check["interval"] if following == run.planned[run.next_index][0] else 0
    due = timezone.now() + timedelta(seconds=wait)
    with transaction.atomic():
        run.save_while_held(
            results=results,
            next_index=run.next_index + 1,
            next_at=due,
            attempts=0,
            lease_owner="",
            lease_expires_at=due + timedelta(seconds=R.lease_seconds()),
        )
        run.target.bump()
    jobs.enqueue(run, countdown=wait)


def _moved_on(run, deployment):
    status = deployment.status if deployment else "gone"
    if run.phase == smoke.TEST:
        return f"the deployment went on ({status}) before the checks on the test listener finished"
    return f"the termination wait ended ({status}) before the checks on production finished"


def _conclude(run, status, *, reason="", results=None):
    wanted = _policy_action(run, status)
    with transaction.atomic():
        run.conclude(
            None,
            status=status,
            results=run.results if results is None else results,
            reason=reason,
            follow_up=R.WAITING if wanted else R.NOTHING,
        )
        run.target.bump()
        record_finished(run)
    if wanted:
        follow_up(run.pk)
    return run


def _policy_action(run, status):
    """The action the run's policy asks for after it ended so: a reroute after a pass, a rollback after a failure."""
    if status == R.PASSED and run.policy.get("reroute_on_pass"):
        return REROUTE
    if status == R.FAILED and run.policy.get("rollback_on_failure"):
        return ROLLBACK
    return None


def follow_up(run_id):
    """Ask for the action the run's policy wants, once: requested, or waiting for the deployment to be Ready, held
    by a freeze, left to people (four eyes), or not possible any more. Noted on the run for the console."""
    with transaction.atomic():
        run = R.objects.select_for_update().select_related("target").filter(pk=run_id).first()
        if run is None or run.follow_up not in (R.WAITING, R.HELD):
            return None
        state, note, action = _ask(run, REROUTE if run.passed else ROLLBACK)
        R.objects.filter(pk=run.pk).update(follow_up=state, follow_up_note=note, action=action)
        changed = (state, note) != (run.follow_up, run.follow_up_note)
    if changed:
        run.target.bump()
    return state


def _ask(run, kind):
    target = ReleaseTarget.objects.get(pk=run.target_id)
    deployment = target.deployments.filter(deployment_id=run.deployment_id).first()
    label = KINDS[kind].label
    if kind == REROUTE and smoke.phase_now(deployment) != smoke.TEST:
        return R.NOT_POSSIBLE, f"Not rerouted: {_moved_on(run, deployment)}.", None
    offered = offers.available(target).get(kind)
    if offered is None or offered.get("deployment_id") != run.deployment_id:
        if kind == REROUTE:
            return R.WAITING, "The reroute is asked for once the deployment is ready for it.", None
        return R.NOT_POSSIBLE, f"“{label}” is not possible in the deployment's current state.", None
    if run.passed:
        reason = f"Smoke checks passed on {PHASE_WORDS[run.phase]} ({len(run.results)} attempts)"
    else:
        reason = f"Smoke checks failed on {PHASE_WORDS[run.phase]}: {run.reason}"
    try:
        action = action_requests.request_action(
            target, kind, user=None, actor=ACTOR, reason=reason[:1000], expected={"deployment_id": run.deployment_id}
        )
    except action_requests.Frozen as frozen:
        return R.HELD, f"Held: {frozen} It is asked for once the freeze ends.", None
    except action_requests.NeedsSecondOperator:
        return R.LEFT_TO_PEOPLE, f"Left to people: “{label}” needs a second operator on this target.", None
    except action_requests.AlreadyRequested as already:
        return R.REQUESTED, str(already), already.action
    except action_requests.ActionRefused as refused:
        return R.NOT_POSSIBLE, str(refused), None
    return R.REQUESTED, f"{label} asked for by the smoke checks.", action
