"""How to delete each kind of resource the wizard creates. Each deleter treats "already gone" as done and
raises Waiting while AWS still holds on to something that is going away."""

from dashboard import aws
from provisioning.worker.step_context import Waiting
from releases.models import EventSource
from releases.worker.event_rule import MISSING_QUEUE

GONE = {
    "events.rule": ("ResourceNotFoundException",),
    "sqs.queue": MISSING_QUEUE,
    "codepipeline.pipeline": ("PipelineNotFoundException",),
    "s3.bucket": ("NoSuchBucket", "404"),
    "iam.role": ("NoSuchEntity",),
    "codedeploy.deployment-group": ("ApplicationDoesNotExistException", "DeploymentGroupDoesNotExistException"),
    "codedeploy.application": ("ApplicationDoesNotExistException",),
    "ecs.service": ("ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"),
    "ecs.cluster": ("ClusterNotFoundException",),
    "elbv2.listener": ("ListenerNotFound",),
    "elbv2.listener-rule": ("RuleNotFound", "ListenerNotFound"),
    "elbv2.target-group": ("TargetGroupNotFound",),
    "elbv2.load-balancer": ("LoadBalancerNotFound",),
    "ec2.security-group": ("InvalidGroup.NotFound",),
    "codecommit.repository": ("RepositoryDoesNotExistException",),
    "ecs.task-definition": (),
    "ecr.repository": ("RepositoryNotFoundException",),
}
STILL_IN_USE = (
    "DependencyViolation",
    "ResourceInUse",
    "ClusterContainsServicesException",
    "ClusterContainsTasksException",
)


def delete(ctx, resource):
    """Delete one resource; returns what to show."""
    try:
        DELETERS[resource.kind](ctx, resource)
    except aws.AwsError as error:
        if error.code in GONE[resource.kind]:
            return "already gone"
        if error.code in STILL_IN_USE:
            raise Waiting(
                f"{resource.name} is still in use ({error.message}); trying again.", give_up_after=1800
            ) from error
        raise
    return "deleted"


def events_rule(ctx, resource):
    targets = ctx.call("events", "list_targets_by_rule", Rule=resource.name)["Targets"]
    if targets:
        ctx.call("events", "remove_targets", Rule=resource.name, Ids=[t["Id"] for t in targets])
    ctx.call("events", "delete_rule", Name=resource.name)


def bucket(ctx, resource):
    # A bucket must be empty, of every version and delete marker, before it can go.
    while True:
        listing = ctx.call("s3", "list_object_versions", Bucket=resource.name)
        objects = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in listing.get("Versions", []) + listing.get("DeleteMarkers", [])
        ]
        if not objects:
            break
        ctx.call("s3", "delete_objects", Bucket=resource.name, Delete={"Objects": objects[:1000], "Quiet": True})
    ctx.call("s3", "delete_bucket", Bucket=resource.name)


def role(ctx, resource):
    for policy in ctx.paginate("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=resource.name):
        ctx.call("iam", "detach_role_policy", RoleName=resource.name, PolicyArn=policy["PolicyArn"])
    for policy in ctx.paginate("iam", "list_role_policies", "PolicyNames", RoleName=resource.name):
        ctx.call("iam", "delete_role_policy", RoleName=resource.name, PolicyName=policy)
    ctx.call("iam", "delete_role", RoleName=resource.name)


def deployment_group(ctx, resource):
    application, group = resource.name.split("/", 1)
    ctx.call("codedeploy", "delete_deployment_group", applicationName=application, deploymentGroupName=group)


def service(ctx, resource):
    cluster, name = resource.name.split("/", 1)
    ctx.call("ecs", "delete_service", cluster=cluster, service=name, force=True)


def task_definitions(ctx, resource):
    # Every active revision of the family, including those the pipeline registered for each release.
    family = resource.name
    arns = ctx.paginate("ecs", "list_task_definitions", "taskDefinitionArns", familyPrefix=family, status="ACTIVE")
    for arn in arns:
        if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family:
            ctx.call("ecs", "deregister_task_definition", taskDefinition=arn)


def queue(ctx, resource):
    url = ctx.call("sqs", "get_queue_url", QueueName=resource.name)["QueueUrl"]
    ctx.call("sqs", "delete_queue", QueueUrl=url)
    EventSource.objects.filter(queue_url=url).delete()  # else the listener would look for it without end


DELETERS = {
    "events.rule": events_rule,
    "sqs.queue": queue,
    "codepipeline.pipeline": lambda ctx, r: ctx.call("codepipeline", "delete_pipeline", name=r.name),
    "s3.bucket": bucket,
    "iam.role": role,
    "codedeploy.deployment-group": deployment_group,
    "codedeploy.application": lambda ctx, r: ctx.call("codedeploy", "delete_application", applicationName=r.name),
    "ecs.service": service,
    "ecs.cluster": lambda ctx, r: ctx.call("ecs", "delete_cluster", cluster=r.name),
    "elbv2.listener": lambda ctx, r: ctx.call("elbv2", "delete_listener", ListenerArn=r.arn),
    "elbv2.listener-rule": lambda ctx, r: ctx.call("elbv2", "delete_rule", RuleArn=r.arn),
    "elbv2.target-group": lambda ctx, r: ctx.call("elbv2", "delete_target_group", TargetGroupArn=r.arn),
    "elbv2.load-balancer": lambda ctx, r: ctx.call("elbv2", "delete_load_balancer", LoadBalancerArn=r.arn),
    "ec2.security-group": lambda ctx, r: ctx.call("ec2", "delete_security_group", GroupId=r.arn.rsplit("/", 1)[-1]),
    "codecommit.repository": lambda ctx, r: ctx.call("codecommit", "delete_repository", repositoryName=r.name),
    "ecs.task-definition": task_definitions,
    "ecr.repository": lambda ctx, r: ctx.call("ecr", "delete_repository", repositoryName=r.name, force=True),
}
