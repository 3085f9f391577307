"""Every AWS operation the product calls, in one list: the boto3 client and operation (as the code calls
them), the IAM actions each needs, and which part of the product needs it.

`aws.call` and `aws.paginate` refuse an operation that is not listed here (`UnregisteredOperation`), a test
finds every literal call in the source and checks it is listed, and `manage.py iam_policy` prints the
least-privilege policies made from it (see `dashboard/iam_policy.py`).
"""

from dataclasses import dataclass

CONSOLE = "console"  # viewing and operating releases, tracking a pipeline, the connection check
WIZARD = "wizard"  # the setup wizard and its teardown
SANDBOX = "sandbox"  # the sandbox page only: never part of a printed policy
PARTS = (CONSOLE, WIZARD)

# boto3 client name → IAM service prefix, where they differ.
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}

# The roles the wizard passes to services: the key in the wizard's config, the service it is passed to, and
# the name the policy scopes it to by default (the wizard suggests "<setup>-codedeploy" and so on).
ROLES = {
    "execution_role": ("ecs-tasks.amazonaws.com", "ecsTaskExecutionRole"),
    "codedeploy_role": ("codedeploy.amazonaws.com", "*-codedeploy"),
    "pipeline_role": ("codepipeline.amazonaws.com", "*-codepipeline"),
    "events_role": ("events.amazonaws.com", "*-events"),
    "infrastructure_role": ("ecs.amazonaws.com", "*-ecs-infrastructure"),
}
# Services that create their service-linked role on first use in an account (needs iam:CreateServiceLinkedRole).
LINKED_ECS, LINKED_ELB = "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"
# IAM writes on these keys are scoped to the wizard's roles.
WIZARD_ROLES = "wizard-roles"


class UnregisteredOperation(RuntimeError):
    """A programming error: the code called an AWS operation that is not in the registry."""


@dataclass(frozen=True)
class Operation:
    service: str  # boto3 client name: "elbv2"
    name: str  # the operation as the code calls it: "describe_listeners"
    parts: frozenset
    actions: tuple = ()  # IAM actions, when not just "<prefix>:<ApiName>"
    extra: tuple = ()  # IAM actions needed besides its own (tagging on create, ...)
    passes: tuple = ()  # keys of ROLES it passes to a service (iam:PassRole)
    links: tuple = ()  # service-linked roles it may create on first use
    resource: str = "*"  # "*", or WIZARD_ROLES
    note: str = ""

    @property
    def key(self):
        return (self.service, self.name)

    @property
    def api_name(self):
        """AWS's name of the operation (botocore's `method_to_api_mapping`; a test checks they agree)."""
        return "".join(word.capitalize() for word in self.name.split("_"))

    @property
    def iam_actions(self):
        own = self.actions or (f"{IAM_PREFIX.get(self.service, self.service)}:{self.api_name}",)
        return own + self.extra


def _op(service, name, *parts, **options):
    return Operation(service, name, frozenset(parts), **options)


C, W, S = CONSOLE, WIZARD, SANDBOX
_ROLE_WRITE = {"resource": WIZARD_ROLES}

OPERATIONS = [
    # Who we are, and what we may do (the connection check's permissions pre-flight).
    _op("sts", "get_caller_identity", C, W),
    _op("sts", "assume_role", C, W, note="connections that assume a role in another account (botocore's refresh)"),
    _op("iam", "simulate_principal_policy", C, W),
    # CodePipeline
    _op("codepipeline", "get_pipeline", C, W),
    _op("codepipeline", "get_pipeline_state", C),
    _op("codepipeline", "get_pipeline_execution", C, W),
    _op("codepipeline", "list_pipeline_executions", C, W),
    _op("codepipeline", "list_action_executions", C, W),
    _op("codepipeline", "list_pipelines", C, note="a read-only probe of the connection check"),
    _op("codepipeline", "start_pipeline_execution", C, W),
    _op("codepipeline", "stop_pipeline_execution", C),
    _op("codepipeline", "retry_stage_execution", C),
    _op("codepipeline", "put_approval_result", C),
    _op("codepipeline", "create_pipeline", W, extra=("codepipeline:TagResource",), passes=("pipeline_role",)),
    _op("codepipeline", "update_pipeline", W, passes=("pipeline_role",)),
    _op("codepipeline", "delete_pipeline", W),
    # CodeDeploy
    _op("codedeploy", "get_application", W),
    _op("codedeploy", "get_deployment_group", C, W),
    _op("codedeploy", "get_deployment", C, W),
    _op("codedeploy", "list_deployments", C),
    _op("codedeploy", "list_applications", C, note="a read-only probe of the connection check"),
    _op("codedeploy", "batch_get_deployments", C),
    _op("codedeploy", "batch_get_deployment_targets", C, W),
    _op("codedeploy", "continue_deployment", C),
    _op("codedeploy", "stop_deployment", C),
    _op("codedeploy", "create_deployment", C),
    _op("codedeploy", "create_application", W, extra=("codedeploy:TagResource",)),
    _op("codedeploy", "create_deployment_group", W, extra=("codedeploy:TagResource",), passes=("codedeploy_role",)),
    _op("codedeploy", "update_deployment_group", W, passes=("codedeploy_role",)),
    _op("codedeploy", "delete_deployment_group", W),
    _op("codedeploy", "delete_application", W),
    # ECS
    _op("ecs", "list_clusters", C, note="a read-only probe of the connection check"),
    _op("ecs", "describe_clusters", W),
    _op("ecs", "describe_services", C, W),
    _op("ecs", "describe_task_definition", C, W),
    _op("ecs", "list_task_definitions", C, W),
    _op("ecs", "list_service_deployments", C, note="ECS's own blue/green: a service's deployments"),
    _op("ecs", "describe_service_deployments", C, W),
    _op("ecs", "describe_service_revisions", C),
    _op("ecs", "continue_service_deployment", C, note="the console's Continue of a PAUSE hook"),
    _op("ecs", "stop_service_deployment", C, note="the console's Roll back of a service deployment"),
    _op("ecs", "register_task_definition", W, extra=("ecs:TagResource",), passes=("execution_role",)),
    _op("ecs", "create_cluster", W, extra=("ecs:TagResource",), links=(LINKED_ECS,)),
    _op(
        "ecs",
        "create_service",
        W,
        extra=("ecs:TagResource",),
        links=(LINKED_ECS,),
        passes=("infrastructure_role",),
        note="passes the infrastructure role of an ECS blue/green service's load balancer",
    ),
    _op(
        "ecs",
        "update_service",
        W,
        passes=("infrastructure_role",),
        note="a re-run of the service step: the desired count, an ECS blue/green service's load balancer",
    ),
    _op("ecs", "tag_resource", W, note="a re-run puts the wizard's tag back on its cluster or service"),
    _op("ecs", "delete_service", W),
    _op("ecs", "deregister_task_definition", W),
    _op("ecs", "delete_cluster", W),
    # Elastic Load Balancing
    _op("elbv2", "describe_load_balancers", C, W),
    _op("elbv2", "describe_listeners", C, W),
    _op("elbv2", "describe_target_groups", C, W),
    _op("elbv2", "describe_rules", C, W, note="the traffic split of an ECS blue/green service's listener rules"),
    _op("elbv2", "create_load_balancer", W, extra=("elasticloadbalancing:AddTags",), links=(LINKED_ELB,)),
    _op("elbv2", "create_target_group", W, extra=("elasticloadbalancing:AddTags",)),
    _op("elbv2", "create_listener", W, extra=("elasticloadbalancing:AddTags",)),
    _op("elbv2", "modify_listener", W, note="a re-run of the load balancer step: a listener's port"),
    _op("elbv2", "create_rule", W, extra=("elasticloadbalancing:AddTags",), note="ECS blue/green's listener rules"),
    _op("elbv2", "modify_rule", W, note="a re-run brings an ECS blue/green listener rule back to its target groups"),
    _op("elbv2", "delete_rule", W),
    _op("elbv2", "delete_listener", W),
    _op("elbv2", "delete_target_group", W),
    _op("elbv2", "delete_load_balancer", W),
    # ECR
    _op("ecr", "describe_repositories", C, W, note="also a read-only probe of the connection check"),
    _op("ecr", "describe_images", C, W, S),
    _op("ecr", "create_repository", W, extra=("ecr:TagResource",)),
    _op("ecr", "delete_repository", W),
    _op("ecr", "put_image", S, note="the sandbox page's sample image push"),
    # EC2 (the network the load balancer and service use)
    _op("ec2", "describe_vpcs", W),
    _op("ec2", "describe_subnets", W),
    _op("ec2", "describe_route_tables", W),
    _op("ec2", "describe_security_groups", W),
    _op("ec2", "create_security_group", W, extra=("ec2:CreateTags",)),
    _op("ec2", "authorize_security_group_ingress", W),
    _op("ec2", "delete_security_group", W),
    # EventBridge (the rule that starts a pipeline on an image push, and the one that sends state changes to SQS)
    _op("events", "list_rule_names_by_target", C),
    _op("events", "describe_rule", C, W),
    _op("events", "list_targets_by_rule", C, W),
    _op("events", "test_event_pattern", C, note="does a rule's pattern match an image push (tracking check)"),
    _op("events", "put_rule", W, extra=("events:TagResource",)),
    _op("events", "put_targets", W, passes=("events_role",)),
    _op("events", "remove_targets", W),
    _op("events", "delete_rule", W),
    # CloudWatch: the states of the alarms a deployment group stops its deployments on (releases/worker/alarms.py).
    # IAM's prefix is cloudwatch; the API signs as "monitoring".
    _op(
        "cloudwatch",
        "describe_alarms",
        C,
        actions=("cloudwatch:DescribeAlarms",),
        note="the deployment group's alarms, shown on the release console",
    ),
    # SQS: the queue the events rule fills and the listener long-polls (releases/worker/listener.py)
    _op("sqs", "get_queue_url", C, W),
    _op("sqs", "receive_message", C, note="manage.py listen_events: the long poll of the events queue"),
    _op("sqs", "delete_message_batch", C, actions=("sqs:DeleteMessage",)),
    _op("sqs", "get_queue_attributes", W),
    _op("sqs", "create_queue", W, extra=("sqs:TagQueue",)),
    _op("sqs", "set_queue_attributes", W, note="the queue policy that lets the events rule send to it"),
    _op("sqs", "delete_queue", W),
    # IAM roles: read to check a tracked or adopted role; written only on the wizard's own roles
    _op("iam", "get_role", C, W),
    _op("iam", "list_attached_role_policies", C, W),
    _op("iam", "list_role_policies", C, W),
    _op("iam", "get_role_policy", C, W),
    _op("iam", "create_role", W, extra=("iam:TagRole",), **_ROLE_WRITE),
    _op("iam", "attach_role_policy", W, **_ROLE_WRITE),
    _op("iam", "put_role_policy", W, **_ROLE_WRITE),
    _op("iam", "tag_role", W, note="a re-run puts the wizard's tag back on its role", **_ROLE_WRITE),
    _op("iam", "detach_role_policy", W, **_ROLE_WRITE),
    _op("iam", "delete_role_policy", W, **_ROLE_WRITE),
    _op("iam", "delete_role", W, **_ROLE_WRITE),
    # CodeCommit (the source of taskdef.json and appspec.yaml)
    _op("codecommit", "get_repository", W),
    _op("codecommit", "get_branch", W),
    _op("codecommit", "get_file", C, W),
    _op("codecommit", "create_repository", W, extra=("codecommit:TagResource",)),
    _op("codecommit", "create_commit", W),
    _op("codecommit", "delete_repository", W),
    # S3 (the other source, and the pipeline's artifact store): IAM's names differ from the API's
    _op("s3", "get_object", C, actions=("s3:GetObject",)),
    _op("s3", "head_bucket", W, actions=("s3:ListBucket",)),
    _op("s3", "head_object", W, actions=("s3:GetObject",)),
    _op("s3", "create_bucket", W, actions=("s3:CreateBucket",)),
    _op("s3", "get_bucket_versioning", W, actions=("s3:GetBucketVersioning",)),
    _op("s3", "put_bucket_versioning", W, actions=("s3:PutBucketVersioning",)),
    _op("s3", "get_bucket_tagging", W, actions=("s3:GetBucketTagging",)),
    _op("s3", "put_bucket_tagging", W, actions=("s3:PutBucketTagging",)),
    _op("s3", "put_object", W, actions=("s3:PutObject",)),
    _op("s3", "list_object_versions", W, actions=("s3:ListBucketVersions",)),
    _op("s3", "delete_objects", W, actions=("s3:DeleteObject", "s3:DeleteObjectVersion")),
    _op("s3", "delete_bucket", W, actions=("s3:DeleteBucket",)),
]

REGISTRY = {operation.key: operation for operation in OPERATIONS}
# The cheap reads the connection check falls back to when it may not simulate its own policies.
PROBES = [
    ("codepipeline", "list_pipelines", {"maxResults": 1}),
    ("codedeploy", "list_applications", {}),
    ("ecs", "list_clusters", {"maxResults": 1}),
    ("ecr", "describe_repositories", {"maxResults": 1}),
]


def lookup(service, operation):
    """The registry's entry for one operation; UnregisteredOperation when there is none."""
    try:
        return REGISTRY[(service, operation)]
    except KeyError:
        raise UnregisteredOperation(
            f"{service}.{operation} is not in dashboard/aws_operations.py: add it there (with the part of the "
            "product that needs it), so that the printed IAM policies and the permissions pre-flight include it."
        ) from None


def operations(part):
    return [operation for operation in OPERATIONS if part in operation.parts]


def actions(part):
    """Every IAM action one part needs (own, extra, PassRole and CreateServiceLinkedRole), sorted."""
    found = set()
    for operation in operations(part):
        found.update(operation.iam_actions)
        if operation.passes:
            found.add("iam:PassRole")
        if operation.links:
            found.add("iam:CreateServiceLinkedRole")
    return sorted(found)
