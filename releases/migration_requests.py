"""What the move's page asks for: a dry run, the run, its roll back, the deletion of the CodeDeploy resources, a
retry. Each writes the run's row and its audit event in one transaction and queues the worker's task once it
commits; none calls AWS. Which is offered follows where the target stands (migration_models.standing)."""

from django.db import IntegrityError, transaction

from dashboard import events, jobs
from dashboard.audit import AuditEvent, record
from releases.migration_models import FINISHED, MOVED, ON_CODEDEPLOY, PART_WAY, MigrationRun, standing


class Refused(Exception):
    """The phase is not available now; the message says why."""


def checklist(phase, target, saved=None):
    """The phase's sub-actions; a roll back or deletion names what the run found (`saved["before"]`)."""
    before = (saved or {}).get("before") or {
        "service": target.service_name,
        "new_service": f"{target.service_name}-ecs",
        "application": target.application_name,
        "group": target.deployment_group_name,
    }
    service, new, application = before["service"], before["new_service"], before["application"]
    group = f"{application}/{before['group']}"
    lists = {
        MigrationRun.DRY_RUN: [
            ("survey", "Read the pipeline, deployment group, service, listeners and source (read-only calls)"),
            ("preconditions", "Check the prerequisites of the ECS developer guide's migration page"),
            ("plan", "Work out every request the run would send"),
        ],
        MigrationRun.RUN: [
            ("preconditions", "Read AWS again and check the prerequisites"),
            ("infrastructure_role", "The ECS infrastructure role for load balancers"),
            ("listener_rules", "A rule on the production listener and one on the test listener"),
            ("image_definitions", "imagedefinitions.json in the pipeline's source"),
            ("pipeline_role", "Let the pipeline's role update ECS services"),
            ("new_service", f"Service {new}: controller ECS, strategy BLUE_GREEN"),
            ("first_deployment", f"{new}'s first service deployment SUCCESSFUL"),
            ("scale_in", f"Scale {service} to 0 tasks"),
            ("pipeline", "The pipeline's deploy action: Amazon ECS"),
            ("track", "The release console follows the target as ECS blue/green"),
        ],
        MigrationRun.ROLLBACK: [
            ("check", f"No service deployment of {new} in progress"),
            ("scale_out", f"Scale {service} back up and wait for its tasks"),
            ("pipeline", "The pipeline's deploy action: CodeDeployToECS again"),
            ("listener_rules", f"Delete the listener rules: traffic back to {service}"),
            ("new_service", f"Delete service {new}"),
            ("pipeline_role", "Remove the pipeline role's ECS policy"),
            ("track", "The release console follows the target through CodeDeploy again"),
        ],
        MigrationRun.DELETE: [
            ("check", "The pipeline deploys with the Amazon ECS action"),
            ("deployment_group", f"Delete CodeDeploy deployment group {group}"),
            ("application", f"Delete CodeDeploy application {application} if it has no other group"),
            ("old_service", f"Delete service {service}"),
        ],
    }
    return [{"key": key, "label": label, "status": "pending", "detail": ""} for key, label in lists[phase]]


def codedeploy_service(target):
    """The CodeDeploy service's name: the target's, or, once moved, the one the run found."""
    where, moved = standing(target)
    return moved.saved["before"]["service"] if moved else target.service_name


def latest(target, phase):
    return MigrationRun.objects.filter(target=target, phase=phase).first()


def offered(target):
    """The phases a person may start now (roles apart), by where the target stands and what the last dry run said."""
    where, moved = standing(target)
    busy = MigrationRun.objects.filter(target=target, status__in=MigrationRun.ACTIVE).exists()
    if busy or where == FINISHED:
        return set()
    if where in (MOVED, PART_WAY):
        return {MigrationRun.ROLLBACK} | ({MigrationRun.DELETE} if where == MOVED else set())
    if target.is_ecs or not target.pipeline_name:
        return set()
    dry = latest(target, MigrationRun.DRY_RUN)
    changed = MigrationRun.objects.filter(target=target).exclude(phase=MigrationRun.DRY_RUN).first()
    fresh = dry is not None and (changed is None or changed.created_at < dry.created_at)
    ready = fresh and dry.status == MigrationRun.SUCCEEDED and dry.passed
    return {MigrationRun.DRY_RUN} | ({MigrationRun.RUN} if ready else set())


REFUSALS = {
    MigrationRun.RUN: "Run needs a dry run done since the last change, with every precondition passed.",
    MigrationRun.ROLLBACK: "There is nothing to roll back: the target has not moved, or its CodeDeploy resources are "
    "deleted.",
    MigrationRun.DELETE: "The CodeDeploy resources are deleted only after a run that finished, and before a roll back.",
    MigrationRun.DRY_RUN: "A dry run is for a target that deploys through CodeDeploy and has no run in progress.",
}


def start(target, phase, *, request, options=None):
    if phase not in offered(target):
        busy = MigrationRun.objects.filter(target=target, status__in=MigrationRun.ACTIVE).exists()
        raise Refused("Another step of this move is still running." if busy else REFUSALS[phase])
    options = options or {}
    saved = {}
    if phase == MigrationRun.RUN:
        options = latest(target, MigrationRun.DRY_RUN).options  # exactly what the dry run showed
    if phase in (MigrationRun.ROLLBACK, MigrationRun.DELETE):
        saved = standing(target)[1].saved
    try:
        with transaction.atomic():
            run = MigrationRun.objects.create(
                target=target,
                phase=phase,
                options=options,
                saved=saved,
                actions=checklist(phase, target, saved),
                requested_by=request.user,
                region=target.region,
                profile=target.profile,
                aws_connection=target.aws_connection,
            )
            requested(run, request, options=options)
            transaction.on_commit(lambda: jobs.enqueue(run))
    except IntegrityError as error:
        raise Refused("Another step of this move is still running.") from error
    return run


def requested(run, request, **params):
    record(
        events.MIGRATION,
        outcome=AuditEvent.REQUESTED,
        request=request,
        target_type=MigrationRun.AUDIT_TYPE,
        target_id=run.pk,
        scope=run.target.name,
        params={"phase": run.phase, **params},
    )


def retry(run, *, request):
    """Run a failed phase again from the sub-action that failed."""
    try:
        with transaction.atomic():
            if not run.retry():
                raise Refused("That step has not failed; there is nothing to retry.")
            requested(run, request, retry=True)
            transaction.on_commit(lambda: jobs.enqueue(run))
    except IntegrityError as error:
        raise Refused("Another step of this move is still running.") from error


__all__ = ["FINISHED", "MOVED", "ON_CODEDEPLOY", "PART_WAY", "Refused", "offered", "retry", "start"]
