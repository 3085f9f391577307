"""Tracking a pipeline: `track_pipeline` runs in a worker, the `track` command or the setup wizard's verify step."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard import aws, events
from dashboard.audit import AuditEvent, record
from dashboard.models import same_connection
from releases.models import ReleaseTarget
from releases.worker import alarms, ecs_tracking, event_rule, preflight, tracking
from releases.worker.tracking import TrackingError

__all__ = ["TrackingError", "run_track_request", "track_pipeline", "track_service"]
log = logging.getLogger(__name__)


def track_pipeline(pipeline_name, *, connection, user=None, request=None):
    """Track a pipeline: find its parts from the deploy action, run the pre-flight checks, and record it.

    `connection` (an aws.Connection) says where the pipeline is: the target keeps its region and profile, and
    every later call about the target (refreshes, actions) uses them.

    Calls AWS, so call it from a worker or a command, never inside a web request. Tracking an already tracked
    pipeline refreshes what was found and the checks, and returns the same target. Raises TrackingError when
    the pipeline does not exist or has no CodeDeployToECS deploy action; failed checks do not prevent tracking
    (they are shown on the target's page until fixed).
    """
    found = tracking.discover(pipeline_name, connection)
    if found.ecs is not None:
        ecs_tracking.discover_service(found, found.ecs["cluster"], found.ecs["service"])
        fields = {**ecs_tracking.target_fields(found), "checks": ecs_checks(found)}
        fields.update(_deploy_action(found), region=connection.region, profile=connection.profile)
        fields["aws_connection_id"] = connection.connection_id
    else:
        fields = {**target_fields(found), "checks": preflight.run(found), "group_read_at": timezone.now()}
    return _record(
        {"pipeline_name": pipeline_name, **same_connection(connection)},
        pipeline_name,
        fields,
        connection,
        user,
        request,
    )


def track_service(cluster_name, service_name, *, connection, user=None, request=None):
    """Track an ECS service that deploys blue/green by itself, without a pipeline: named by cluster and service."""
    found = tracking.Found("", {}, connection)
    ecs_tracking.discover_service(found, cluster_name, service_name)
    fields = {**ecs_tracking.target_fields(found), "checks": ecs_tracking.checks(found)}
    fields.update(region=connection.region, profile=connection.profile, aws_connection_id=connection.connection_id)
    key = {"pipeline_name": "", "cluster_name": cluster_name, "service_name": service_name}
    return _record(
        {**key, **same_connection(connection)}, f"{cluster_name}/{service_name}", fields, connection, user, request
    )


def ecs_checks(found):
    return [*ecs_tracking.checks(found), preflight.image_push_starts(found)]


def _deploy_action(found):
    return {"deploy_stage": found.deploy_stage, "deploy_action": found.deploy_action.get("name", "")}


def _record(key, name, fields, connection, user, request):
    """The target found by `key`, made (named after `name`) or brought up to date with `fields`."""
    fields = {**fields, "checked_at": timezone.now()}
    try:
        with transaction.atomic():
            target, created = ReleaseTarget.objects.get_or_create(
                **key, defaults={"name": ReleaseTarget.free_name(name, connection), "created_by": user, **fields}
            )
            if not created:
                ReleaseTarget.objects.filter(pk=target.pk).update(**fields)
                target.refresh_from_db()
                target.bump()
    except IntegrityError:  # tracked by someone else at the same moment
        return ReleaseTarget.objects.get(**key)
    _listen_for_events(connection)
    if created:
        record(
            events.TARGET_TRACKED,
            outcome=AuditEvent.SUCCEEDED,
            user=user,
            request=request,
            target_type="pipeline" if target.pipeline_name else "service",
            target_id=target.pipeline_name or name,
            scope=target.name,
            params={
                "engine": target.engine,
                "application": target.application_name,
                "deployment_group": target.deployment_group_name,
                "cluster": target.cluster_name,
                "service": target.service_name,
                "failed_checks": [c["name"] for c in target.failed_checks],
            },
        )
    return target


def _listen_for_events(connection):
    """The region's events queue, when there is one, is listened to from now on; without it (or without the
    permission to find it) polling alone keeps the target current."""
    try:
        event_rule.register(connection)
    except aws.AwsError as error:
        log.info("no events queue registered for %s: %s", connection.region, error)


def target_fields(found):
    group = found.deployment_group or {}
    services = group.get("ecsServices") or [{}]
    blue_green = group.get("blueGreenDeploymentConfiguration") or {}
    ready = blue_green.get("deploymentReadyOption") or {}
    terminate = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    balancer = found.load_balancer or {}
    prod_arn, prod = found.listeners.get("prod", ("", None))
    test_arn, test = found.listeners.get("test", ("", None))
    return {
        "region": found.connection.region,
        "profile": found.connection.profile,
        "aws_connection_id": found.connection.connection_id,
        "application_name": found.config.get("ApplicationName", ""),
        "deployment_group_name": found.config.get("DeploymentGroupName", ""),
        "deploy_stage": found.deploy_stage,
        "deploy_action": found.deploy_action.get("name", ""),
        "cluster_name": services[0].get("clusterName", ""),
        "service_name": services[0].get("serviceName", ""),
        "load_balancer_name": balancer.get("LoadBalancerName", ""),
        "load_balancer_dns": balancer.get("DNSName", ""),
        "prod_listener_arn": prod_arn,
        "test_listener_arn": test_arn,
        "prod_port": (prod or {}).get("Port"),
        "test_port": (test or {}).get("Port"),
        "prod_protocol": (prod or {}).get("Protocol", ""),
        "test_protocol": (test or {}).get("Protocol", ""),
        "alarm_configuration": alarms.configuration(group),
        "target_group_names": found.target_group_names,
        "service_role_arn": group.get("serviceRoleArn", ""),
        "deployment_config_name": group.get("deploymentConfigName", ""),
        "ready_wait_minutes": ready.get("waitTimeInMinutes")
        if ready.get("actionOnTimeout") == "STOP_DEPLOYMENT"
        else None,
        "termination_wait_minutes": terminate.get("terminationWaitTimeInMinutes")
        if terminate.get("action", "TERMINATE") == "TERMINATE"
        else None,
        "setup": {
            "deploy": found.config,
            "sources": found.sources,
            "stages": [s["name"] for s in found.pipeline.get("stages", [])],
            "container": _container(found.service),
            "auto_rollback": group.get("autoRollbackConfiguration") or {},
            "ready_action": ready.get("actionOnTimeout", "CONTINUE_DEPLOYMENT"),
            "termination_action": terminate.get("action", "TERMINATE"),
        },
    }


def _container(service):
    balancers = (service or {}).get("loadBalancers") or [{}]
    return {"name": balancers[0].get("containerName", ""), "port": balancers[0].get("containerPort")}


def run_track_request(job):
    """A TrackRequest's work, in a worker: the fields it concludes with."""
    try:
        if not job.pipeline_name:
            target = track_service(
                job.cluster_name, job.service_name, connection=job.connection(), user=job.requested_by
            )
            return {"target": target}
        return {"target": track_pipeline(job.pipeline_name, connection=job.connection(), user=job.requested_by)}
    except TrackingError as error:
        raise aws.AwsError("NotTrackable", str(error)) from error
