"""One release's timeline: every audit event of a pipeline execution within a scope, oldest first.

Events are gathered by `params.execution_id`, then by the deployment ids those events name
(`params.deployment_id`, a deployment `target_id`, a rollback's `rollback_deployment_id`, or a rollback
deployment's `rollback_of`), then by the outcomes that `follow` an operator request already gathered, until
nothing new turns up.
"""

from dataclasses import dataclass

from django.db.models import Q

from dashboard import events
from dashboard.audit import AuditEvent

from .filters import label_of
from .releases import EVENT_FIELDS, ReleaseJoin

MAX_ROUNDS = 5  # deployments → rollback deployments → their follow-ups; more would mean a loop


@dataclass
class Milestone:
    key: str
    label: str
    at: object = None  # datetime when reached
    detail: str = ""

    @property
    def reached(self):
        return self.at is not None


@dataclass
class Timeline:
    scope: str
    execution_id: str
    events: list  # AuditEvent, oldest first, each with .label
    release: object  # releases.Release, or None if its start was never observed
    milestones: list
    people: list  # (actor_name, [events they caused]) for people, not the system

    @property
    def deployment_ids(self):
        return self.release.deployment_ids if self.release else []


def release_events(scope, execution_id):
    """The events of one release, oldest first."""
    in_scope = AuditEvent.objects.filter(scope=scope)  # key lookups match the indexes on params keys
    found = {e.pk: e for e in in_scope.filter(params__execution_id=execution_id)}
    deployments, seen_deployments = set(), set()
    for _ in range(MAX_ROUNDS):
        for event in found.values():
            params = event.params or {}
            for key in ("deployment_id", "rollback_deployment_id"):
                if params.get(key):
                    deployments.add(str(params[key]))
        new_deployments = deployments - seen_deployments
        seen_deployments |= deployments
        query = Q(follows_id__in=list(found))
        if new_deployments:
            query |= (
                Q(params__deployment_id__in=new_deployments)
                | Q(target_id__in=new_deployments)
                | Q(params__rollback_of__in=new_deployments)  # a rollback's deployment, as the console records it
            )
        more = {e.pk: e for e in in_scope.filter(query).exclude(pk__in=list(found))}
        if not more:
            break
        found.update(more)
    ordered = sorted(found.values(), key=lambda e: (e.created_at, e.pk))
    for event in ordered:
        event.label = label_of(event.action)
    return ordered


def _milestones(ordered, release):
    def first(action, test=lambda e: True):
        return next((e for e in ordered if e.action == action and test(e)), None)

    pushed_at = release.pushed_at if release else None
    image = release.image if release else {}
    started = first(events.EXECUTION_STARTED)
    created = first(events.DEPLOYMENT_CREATED)
    lifecycle = [e for e in ordered if e.action == events.LIFECYCLE_EVENT]
    hooks = lifecycle[0] if lifecycle else None
    ready = first(events.DEPLOYMENT_READY)
    rerouted = first(events.TRAFFIC_REROUTED)
    terminated = first(events.ORIGINAL_TERMINATED)
    rolled_back = first(events.ROLLED_BACK)
    lifecycle_detail = ", ".join(
        f"{e.params.get('event', '?')} {e.params.get('status', '')}".strip() for e in lifecycle
    )
    milestones = [
        Milestone("image", "Image pushed", pushed_at, image.get("image_digest") or image.get("image_tag", "")),
        Milestone("started", "Execution started", started and started.created_at),
        Milestone("deployment", "Deployment created", created and created.created_at, created and _deployment(created)),
        Milestone("lifecycle", "Test traffic and lifecycle hooks", hooks and hooks.created_at, lifecycle_detail),
        Milestone("ready", "Ready for reroute", ready and ready.created_at),
        Milestone("rerouted", "Traffic rerouted", rerouted and rerouted.created_at),
    ]
    if rolled_back:
        milestones.append(
            Milestone(
                "rolled_back",
                "Rolled back",
                rolled_back.created_at,
                str(rolled_back.params.get("rollback_deployment_id", "")),
            )
        )
    else:
        milestones.append(Milestone("terminated", "Original task set terminated", terminated and terminated.created_at))
    return milestones


def _deployment(event):
    return str(event.params.get("deployment_id") or event.target_id)


def release_timeline(scope, execution_id):
    """The Timeline of one release, or None when no event names it."""
    ordered = release_events(scope, execution_id)
    if not ordered:
        return None
    join = ReleaseJoin()
    for event in ordered:
        join.add({name: getattr(event, name) for name in EVENT_FIELDS})
    release = join.releases.get((scope, str(execution_id)))
    people = {}
    for event in ordered:
        if event.actor_id is not None or event.actor_name != "system":
            people.setdefault(event.actor_name, []).append(event)
    return Timeline(scope, str(execution_id), ordered, release, _milestones(ordered, release), list(people.items()))


def link_releases(events_shown):
    """Set `.execution_id` on each event that belongs to a release: its own, the one of the deployment it names
    (an operator's reroute names only the deployment), or the one of the request it `follows`.
    At most two queries for the whole page."""
    by_deployment, by_request = {}, {}
    for event in events_shown:
        params = event.params if isinstance(event.params, dict) else {}
        event.execution_id = str(params.get("execution_id") or "") if event.scope else ""
        if event.scope and not event.execution_id:
            if params.get("deployment_id"):
                by_deployment.setdefault((event.scope, str(params["deployment_id"])), []).append(event)
            elif event.follows_id:
                by_request.setdefault(event.follows_id, []).append(event)
    for pk, params in AuditEvent.objects.filter(pk__in=list(by_request)).values_list("pk", "params"):
        for event in by_request[pk]:
            if params.get("execution_id"):
                event.execution_id = str(params["execution_id"])
            elif params.get("deployment_id"):
                by_deployment.setdefault((event.scope, str(params["deployment_id"])), []).append(event)
    if by_deployment:
        known = AuditEvent.objects.filter(
            scope__in={scope for scope, _ in by_deployment},
            params__deployment_id__in=list({deployment for _, deployment in by_deployment}),
            params__has_key="execution_id",
        ).values_list("scope", "params")
        for scope, params in known:
            for event in by_deployment.pop((scope, str(params.get("deployment_id"))), []):
                event.execution_id = str(params["execution_id"])
    return events_shown
