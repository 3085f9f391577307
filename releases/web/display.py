"""What the console and overview show of a target, from the database only (no AWS calls here)."""

import hashlib
from dataclasses import dataclass

from django.conf import settings

from dashboard.models import ConnectionCheck
from releases import action_kinds, clocks, offers
from releases.models import Deployment, OperatorAction, ReleaseTarget
from releases.web import release_progress, smoke_display


@dataclass
class Traffic:
    original: int
    replacement: int
    rolled_back: bool = False

    @property
    def label(self):
        if self.rolled_back:
            return f"{self.original}% on the original (rolled back)"
        return f"{self.original}% original · {self.replacement}% replacement"


def traffic(target):
    """Production traffic between the original (blue) and replacement (green) task sets, as last seen."""
    latest = target.latest_deployment()
    if latest is None:
        return None
    if latest.rollback_of:  # a rollback's "green" is the original task set
        return Traffic(latest.green_weight, latest.blue_weight if latest.blue else 0, rolled_back=True)
    if not latest.task_sets:
        return None
    if latest.status in ("Failed", "Stopped") and not latest.rollback_deployment_id and latest.green_weight == 0:
        return Traffic(100, 0)
    return Traffic(latest.blue_weight if latest.blue else 0, latest.green_weight)


def ecs_traffic(deployment):
    """Production traffic between an ECS service deployment's source (blue) and target (green) revisions, as its
    production listener rule was last read; after a rollback, what is back on the source."""
    split = deployment.split("production") if deployment else None
    if split is None:
        return None
    return Traffic(split["blue"], split["green"], rolled_back=deployment.status == "ROLLBACK_SUCCESSFUL")


def summary(target):
    """One row of the overview: last release, deployment status, traffic split, who must act."""
    if target.is_ecs:
        current = target.latest_service_deployment()
        return {
            "target": target,
            "execution": target.latest_execution(),
            "deployment": None,  # no CodeDeploy
            "release": None,
            "service_deployment": current,
            "traffic": ecs_traffic(current),
            "needs_action": ecs_needs_action(current) or approval_needed(target),
        }
    deployment = target.latest_deployment()
    release = target.latest_release_deployment()
    return {
        "target": target,
        "execution": target.latest_execution(),
        "deployment": deployment,
        "release": release,
        "traffic": traffic(target),
        "needs_action": needs_action(release) or approval_needed(target),
    }


def needs_action(deployment):
    """What an operator must decide now, with the deadline; None when nobody must act."""
    if deployment is None:
        return None
    if deployment.is_ready_wait:
        return {
            "what": "Waiting for reroute",
            "until": deployment.ready_wait_ends_at,
            "then": "traffic stays on the original and the deployment stops",
        }
    if deployment.is_termination_wait:
        return {
            "what": "In the termination wait",
            "until": deployment.termination_wait_ends_at,
            "then": "the original task set is terminated",
        }
    return None


def approval_needed(target):
    """A manual approval waiting for an answer, with its expiry; None when none waits."""
    waiting = target.waiting_approvals()
    if not waiting:
        return None
    approval = waiting[0]
    return {
        "what": f"Waiting for approval ({approval['stage']}/{approval['action']})",
        "until": approval["expires_at"],
        "then": "the approval fails, and the execution with it,",
    }


def lifecycle(deployment):
    """The eight ECS lifecycle events in AWS's order, each with its status and duration."""
    if deployment is None:
        return []
    by_name = {e["name"]: e for e in deployment.lifecycle_events}
    rows = []
    for name in Deployment.LIFECYCLE_EVENTS:
        event = by_name.get(name, {"name": name, "status": "Pending"})
        start, end = (release_progress._when(event.get(k)) for k in ("start", "end"))
        rows.append(
            {
                **event,
                "start_at": start,
                "end_at": end,
                "seconds": clocks.seconds_between(start, end),  # both AWS's times: one clock
            }
        )
    return rows


def task_sets(deployment, rollback):
    """The release's task sets as they are now: after a rollback, as its rollback deployment last saw them (which
    labels the original it restores GREEN and the replacement it removes BLUE)."""
    source, original = (rollback, "GREEN") if rollback and rollback.task_sets else (deployment, "BLUE")
    rows = []
    for task_set in (source.task_sets if source else []) or []:
        is_original = task_set.get("label") == original
        role, colour = ("original", "blue") if is_original else ("replacement", "green")
        rows.append({**task_set, "role": role, "colour": colour})
    return sorted(rows, key=lambda row: row["role"] != "original")


def answer_now(action):
    """AWS's answer to an action as it reads now. StopDeployment's "a rollback deployment is in progress" is true
    only until that rollback deployment ends; after that, its outcome is what is true."""
    message = (action.result or {}).get("stop_message", "")
    if not message or action.kind != OperatorAction.ROLLBACK:
        return message
    deployments = action.target.deployments
    stopped = deployments.filter(deployment_id=action.params.get("deployment_id")).first()
    if stopped is None or not stopped.rollback_deployment_id:
        return message
    rollback = deployments.filter(deployment_id=stopped.rollback_deployment_id).first()
    if rollback and not rollback.is_active:
        return f"rollback deployment {rollback.deployment_id} {rollback.status}"
    return message


def stages(target):
    """The pipeline's stages as last seen, each with the manual approvals waiting in it (and the trigger of the
    execution that waits: who or what started it)."""
    waiting, approvals = {}, target.waiting_approvals()
    ids = [approval["execution_id"] for approval in approvals]
    triggers = dict(target.executions.filter(execution_id__in=ids).values_list("execution_id", "trigger"))
    for approval in approvals:
        approval["trigger"] = triggers.get(approval["execution_id"]) or {}
        if not approval["external_link"].startswith(("https://", "http://")):  # never a javascript: link
            approval["external_link"] = ""
        waiting.setdefault(approval["stage"], []).append(approval)
    return [{**stage, "approvals": waiting.get(stage["name"], [])} for stage in target.pipeline_state.get("stages", [])]


def ecs_console(target):
    """What the console shows of an ECS blue/green target: its newest service deployment and the ones before."""
    current = target.latest_service_deployment()
    return {
        "service_deployment": current,
        "ecs_traffic": current.split("production") if current else None,
        "ecs_test_traffic": current.split("test") if current else None,
        "service_history": target.service_deployments.all()[1:20],
        "needs_action": ecs_needs_action(current),
    }


def ecs_needs_action(deployment):
    if deployment is None or deployment.status != "IN_PROGRESS":
        return None
    if deployment.awaiting_hooks:
        hook = deployment.awaiting_hooks[0]
        until = release_progress._when(hook.get("expiresAt"))
        then = f"the pause hook times out and ECS does {hook.get('timeoutAction', 'ROLLBACK')}"
        return {"what": f"Paused at {hook.get('stage')}: waiting for Continue", "until": until, "then": then}
    return None


def console(target, execution_id=None, user_can_operate=False):
    if target.is_ecs:
        shown = _console(target, execution_id, user_can_operate)
        ecs = ecs_console(target)
        return {**shown, **ecs, "needs_action": ecs["needs_action"] or shown["needs_action"]}
    return _console(target, execution_id, user_can_operate)


def _console(target, execution_id=None, user_can_operate=False):
    release = release_progress.current_release(target, execution_id)
    deployment = release.deployment or target.latest_deployment()
    offered = offers.available(target) if user_can_operate else {}
    recent_actions = list(target.actions.select_related("requested_by", "target")[:8])
    return {
        "target": target,
        "release": release,
        "deployment": deployment,
        "rollback": release.rollback,
        "lifecycle": lifecycle(deployment),
        "rollback_lifecycle": lifecycle(release.rollback),
        "task_sets": task_sets(deployment, release.rollback),
        "traffic": traffic(target),
        "needs_action": needs_action(deployment) or approval_needed(target),
        "stages": stages(target),
        "executions": target.executions.all()[:10],
        "history": target.deployments.exclude(deployment_id=getattr(deployment, "deployment_id", ""))[:20],
        "offered": [(kind, action_kinds.KINDS[kind], params) for kind, params in offered.items()],
        "open_actions": target.actions.filter(status__in=OperatorAction.OPEN).select_related("requested_by"),
        "recent_actions": recent_actions,
        "last_answer": answer_now(recent_actions[0]) if recent_actions else "",
        "smoke": smoke_display.smoke_checks(target, deployment),
        "alarms": smoke_display.alarms(target),
    }


def poll_every(target):
    """How often the page asks for its fragment (database only): often while something moves, rarely when idle."""
    return settings.RELEASES_PAGE_POLL_SECONDS if target.active else settings.RELEASES_PAGE_IDLE_POLL_SECONDS


def summary_etag():
    """Changes whenever any target's shown state does: the overview card's fragment is redrawn only then. Each
    target by its row (pk and creation time), as the fragment cache keys it (releases/web/fragment_cache.py)."""
    versions = ReleaseTarget.objects.order_by("pk").values_list(
        "pk", "created_at", "version", "aws_connection__name", "aws_connection__account"
    )
    return hashlib.sha1(repr(list(versions)).encode(), usedforsecurity=False).hexdigest()[:12]


def summaries():
    return [summary(t) for t in ReleaseTarget.objects.select_related("aws_connection")]


def grouped_summaries():
    """The summaries by account, region and connection, as the overview lists them. A target's account is its
    connection's (as its latest check found, else its role's), or the dashboard's own as its latest check found."""
    own = ConnectionCheck.objects.filter(aws_connection=None, status=ConnectionCheck.SUCCEEDED).first()
    groups = {}
    for item in summaries():
        connection = item["target"].aws_connection
        account = connection.shown_account if connection else (own.account if own else "")
        key = (account, item["target"].region, connection.name if connection else "")
        groups.setdefault(key, []).append(item)
    return [
        {"account": account, "region": region, "connection": name, "summaries": items}
        for (account, region, name), items in sorted(groups.items())
    ]
