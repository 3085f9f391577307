"""What a move to ECS blue/green starts from, read from AWS with read-only calls only (a dry run makes no other)."""

import io
import json
import zipfile
from dataclasses import dataclass, field

from dashboard import aws

IMAGE_DEFINITIONS = "imagedefinitions.json"
DEPLOYING = ("Created", "Queued", "InProgress", "Baking", "Ready")


@dataclass
class Facts:
    """One target's CodeDeploy setup as AWS has it now; what could not be found stays empty and fails a check."""

    target: object
    pipeline: dict = field(default_factory=dict)
    pipeline_version: int = 0
    deploy_stage: str = ""
    deploy_action: dict = field(default_factory=dict)
    files_action: dict = field(default_factory=dict)  # the CodeCommit or S3 source of taskdef.json and appspec.yaml
    image_action: dict = field(default_factory=dict)  # the ECR source, if any
    executing: list = field(default_factory=list)  # pipeline execution ids in progress
    group: dict = field(default_factory=dict)
    group_error: str = ""
    deploying: list = field(default_factory=list)  # CodeDeploy deployment ids not finished
    service: dict = field(default_factory=dict)
    primary: dict = field(default_factory=dict)  # the service's PRIMARY task set
    new_service: dict = field(default_factory=dict)  # a service already named like the ECS one (ACTIVE or DRAINING)
    target_groups: dict = field(default_factory=dict)  # name -> description
    listeners: dict = field(default_factory=dict)  # "prod"/"test" -> description
    rules: dict = field(default_factory=dict)  # "prod"/"test" -> rules other than the default
    load_balancer: dict = field(default_factory=dict)
    repository_uri: str = ""
    image_definitions: str | None = None  # the file as the source has it now, None when absent
    source_error: str = ""
    role: dict = field(default_factory=dict)  # the ECS infrastructure role, when it exists

    @property
    def cluster(self):
        return self.target.cluster_name

    @property
    def service_name(self):
        return self.target.service_name

    @property
    def new_service_name(self):
        return new_service_name(self.target.service_name)

    @property
    def container(self):
        balancers = self.service.get("loadBalancers") or [{}]
        return balancers[0].get("containerName", ""), balancers[0].get("containerPort")

    @property
    def production_group(self):
        """The target group the service's primary task set is registered with: production's now."""
        balancers = self.primary.get("loadBalancers") or self.service.get("loadBalancers") or [{}]
        return balancers[0].get("targetGroupArn", "")

    @property
    def alternate_group(self):
        others = [
            g["TargetGroupArn"] for g in self.target_groups.values() if g["TargetGroupArn"] != self.production_group
        ]
        return others[0] if others else ""

    @property
    def image_uri(self):
        """The image the pipeline's ECR source names (repository URI and tag), else the one running now."""
        if self.repository_uri:
            return f"{self.repository_uri}:{self.image_action['configuration'].get('ImageTag') or 'latest'}"
        return self.running_image

    @property
    def running_image(self):
        return self.primary.get("_image", "")


def new_service_name(name):
    return f"{name}-ecs"[:255]


def infrastructure_role_name(target):
    return f"{target.service_name}-ecs-infrastructure"[:64]


def read(target):
    """Every fact a move needs, with read-only calls through the target's connection."""
    connection = target.connection()
    facts = Facts(target)

    def call(service, operation, **params):
        return aws.call(service, operation, connection, **params)

    def find(missing, service, operation, **params):
        try:
            return call(service, operation, **params)
        except aws.AwsError as error:
            if error.code in missing or (error.retryable is False and "NotFound" in error.code):
                return None
            raise

    _pipeline(facts, call, target)
    _codedeploy(facts, call, find, target)
    _service(facts, call, target)
    _load_balancing(facts, call)
    _source(facts, call, find)
    role = find(("NoSuchEntity",), "iam", "get_role", RoleName=infrastructure_role_name(target))
    facts.role = (role or {}).get("Role") or {}
    return facts


def _pipeline(facts, call, target):
    answer = call("codepipeline", "get_pipeline", name=target.pipeline_name)
    facts.pipeline = answer["pipeline"]
    facts.pipeline_version = facts.pipeline.get("version", 0)
    for stage in facts.pipeline.get("stages", []):
        for action in stage.get("actions", []):
            kind = action.get("actionTypeId", {})
            if kind.get("provider") == "CodeDeployToECS" and not facts.deploy_action:
                facts.deploy_stage, facts.deploy_action = stage["name"], action
            elif kind.get("category") == "Source" and kind.get("provider") == "ECR":
                facts.image_action = action
    wanted = facts.deploy_action.get("configuration", {}).get("TaskDefinitionTemplateArtifact")
    for stage in facts.pipeline.get("stages", []):
        for action in stage.get("actions", []):
            outputs = [o["name"] for o in action.get("outputArtifacts", [])]
            if action.get("actionTypeId", {}).get("provider") in ("CodeCommit", "S3") and wanted in outputs:
                facts.files_action = action
    executions = call("codepipeline", "list_pipeline_executions", pipelineName=target.pipeline_name, maxResults=10)
    facts.executing = [
        e["pipelineExecutionId"]
        for e in executions.get("pipelineExecutionSummaries", [])
        if e["status"] == "InProgress"
    ]


def _codedeploy(facts, call, find, target):
    config = facts.deploy_action.get("configuration", {})
    application = config.get("ApplicationName") or target.application_name
    group_name = config.get("DeploymentGroupName") or target.deployment_group_name
    try:
        facts.group = call(
            "codedeploy", "get_deployment_group", applicationName=application, deploymentGroupName=group_name
        )["deploymentGroupInfo"]
    except aws.AwsError as error:
        if error.retryable:
            raise
        facts.group_error = f"{error.code}: {error.message}"
        return
    listed = call(
        "codedeploy",
        "list_deployments",
        applicationName=application,
        deploymentGroupName=group_name,
        includeOnlyStatuses=list(DEPLOYING),
    )
    facts.deploying = listed.get("deployments", [])


def _service(facts, call, target):
    names = [target.service_name, facts.new_service_name]
    answer = call("ecs", "describe_services", cluster=target.cluster_name, services=names)
    for service in answer.get("services", []):
        if service["serviceName"] == target.service_name and service.get("status") == "ACTIVE":
            facts.service = service
        elif service["serviceName"] == facts.new_service_name and service.get("status") != "INACTIVE":
            facts.new_service = service
    primary = [s for s in facts.service.get("taskSets", []) if s.get("status") == "PRIMARY"]
    if primary:
        facts.primary = dict(primary[0])
        definition = call("ecs", "describe_task_definition", taskDefinition=facts.primary["taskDefinition"])
        containers = definition["taskDefinition"].get("containerDefinitions", [])
        name = facts.container[0]
        facts.primary["_image"] = next((c["image"] for c in containers if c.get("name") == name), "")
        facts.primary["_execution_role"] = definition["taskDefinition"].get("executionRoleArn") or "*"


def _load_balancing(facts, call):
    pair = ((facts.group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or [{}])[0]
    names = [g["name"] for g in pair.get("targetGroups", [])]
    if names:
        found = call("elbv2", "describe_target_groups", Names=names)["TargetGroups"]
        facts.target_groups = {g["TargetGroupName"]: g for g in found}
    for route in ("prod", "test"):
        arns = (pair.get(f"{route}TrafficRoute") or {}).get("listenerArns") or []
        if not arns:
            continue
        facts.listeners[route] = call("elbv2", "describe_listeners", ListenerArns=arns[:1])["Listeners"][0]
        rules = call("elbv2", "describe_rules", ListenerArn=arns[0])["Rules"]
        facts.rules[route] = [r for r in rules if not r.get("IsDefault")]
    balancers = {listener["LoadBalancerArn"] for listener in facts.listeners.values()}
    if balancers:
        found = call("elbv2", "describe_load_balancers", LoadBalancerArns=sorted(balancers)[:1])
        facts.load_balancer = found["LoadBalancers"][0]


def _source(facts, call, find):
    if facts.image_action:
        name = facts.image_action["configuration"].get("RepositoryName", "")
        found = find(("RepositoryNotFoundException",), "ecr", "describe_repositories", repositoryNames=[name])
        facts.repository_uri = found["repositories"][0]["repositoryUri"] if found else ""
    provider = facts.files_action.get("actionTypeId", {}).get("provider")
    config = facts.files_action.get("configuration", {})
    try:
        if provider == "CodeCommit":
            found = find(
                ("FileDoesNotExistException",),
                "codecommit",
                "get_file",
                repositoryName=config["RepositoryName"],
                commitSpecifier=config["BranchName"],
                filePath=IMAGE_DEFINITIONS,
            )
            facts.image_definitions = found["fileContent"].decode() if found else None
        elif provider == "S3":
            body = call("s3", "get_object", Bucket=config["S3Bucket"], Key=config["S3ObjectKey"])["Body"].read()
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                names = archive.namelist()
                facts.image_definitions = (
                    archive.read(IMAGE_DEFINITIONS).decode() if IMAGE_DEFINITIONS in names else None
                )
    except aws.AwsError as error:
        if error.retryable:
            raise
        facts.source_error = f"{error.code}: {error.message}"


def image_definitions(facts):
    """The file the ECS deploy action reads: the container and the image it runs (CodePipeline user guide, "Image
    definitions file reference")."""
    return json.dumps([{"name": facts.container[0], "imageUri": facts.image_uri}], indent=2) + "\n"
