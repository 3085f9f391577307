"""Find a release target's parts from its pipeline: the CodeDeployToECS deploy action, then the deployment
group, ECS service, load balancer, listeners, target groups and service role it names. Runs in workers only."""

import io
import json
import zipfile
from dataclasses import dataclass, field
from urllib.parse import unquote

from dashboard import aws

DEPLOY_PROVIDER = "CodeDeployToECS"
ECS_PROVIDER = "ECS"  # the Amazon ECS (standard) deploy action, against a service ECS deploys blue/green itself


class TrackingError(Exception):
    """The pipeline cannot be tracked at all (it does not exist, or has no ECS blue/green deploy action)."""


@dataclass
class Found:
    """Everything discovered about a pipeline's setup; what is missing stays None and fails a check."""

    pipeline_name: str
    pipeline: dict
    connection: object  # the aws.Connection every call about this pipeline uses (its region and profile)
    deploy_stage: str = ""
    deploy_action: dict = field(default_factory=dict)
    source_actions: list = field(default_factory=list)
    deployment_group: dict | None = None
    deployment_group_error: str = ""
    service: dict | None = None
    target_groups: dict = field(default_factory=dict)  # name -> description or None
    listeners: dict = field(default_factory=dict)  # "production"/"test" -> (arn, description or None)
    load_balancer: dict | None = None
    role: dict | None = None
    role_error: str = ""
    files: dict = field(default_factory=dict)  # "taskdef"/"appspec" -> (path, text or None, note)
    pipeline_arn: str = ""
    # ECR source action name -> the enabled EventBridge rules that start the pipeline on its push (left empty,
    # with rules_error set, when EventBridge could not be asked)
    push_rules: dict = field(default_factory=dict)
    rules_error: str = ""
    ecs: dict | None = None  # an ECS blue/green service without CodeDeploy (releases/worker/ecs_tracking.py)

    @property
    def config(self):
        return self.deploy_action.get("configuration", {})

    @property
    def pair(self):
        pairs = ((self.deployment_group or {}).get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []
        return pairs[0] if pairs else {}

    @property
    def target_group_names(self):
        return [group["name"] for group in self.pair.get("targetGroups", [])]

    @property
    def sources(self):
        """The source actions as a target's setup keeps them: name, provider, configuration, output artifacts."""
        return [
            {
                "name": a["name"],
                "provider": a["actionTypeId"]["provider"],
                "configuration": a.get("configuration", {}),
                "outputs": [o["name"] for o in a.get("outputArtifacts", [])],
            }
            for a in self.source_actions
        ]

    def listener_arn(self, route):
        arns = (self.pair.get(f"{route}TrafficRoute") or {}).get("listenerArns") or []
        return arns[0] if arns else ""


def discover(pipeline_name, connection):
    """What the pipeline `pipeline_name` uses, asked of AWS through `connection` (an aws.Connection)."""
    try:
        answer = aws.call("codepipeline", "get_pipeline", connection, name=pipeline_name)
    except aws.AwsError as error:
        if error.code == "PipelineNotFoundException":
            raise TrackingError(
                f"There is no pipeline named “{pipeline_name}” in this account in {connection.region}."
            ) from error
        raise
    pipeline = answer["pipeline"]
    arn = (answer.get("metadata") or {}).get("pipelineArn", "")
    found = Found(pipeline_name, pipeline, connection, pipeline_arn=arn)
    for stage in pipeline.get("stages", []):
        for action in stage.get("actions", []):
            kind = action.get("actionTypeId", {})
            if kind.get("category") == "Source":
                found.source_actions.append({"stage": stage["name"], **action})
            elif kind.get("provider") in (DEPLOY_PROVIDER, ECS_PROVIDER) and not found.deploy_action:
                found.deploy_stage, found.deploy_action = stage["name"], action
    if found.deploy_action.get("actionTypeId", {}).get("provider") == ECS_PROVIDER:
        return _ecs_service(found)
    if not found.deploy_action:
        raise TrackingError(
            f"Pipeline “{pipeline_name}” has no Amazon ECS (Blue/Green) deploy action (provider {DEPLOY_PROVIDER}), "
            f"nor an Amazon ECS deploy action (provider {ECS_PROVIDER}). "
            "Add one that names the CodeDeploy application and deployment group, as in the tutorial's step 6."
        )
    _deployment_group(found)
    _service(found)
    _load_balancing(found)
    _role(found)
    _source_files(found)
    _image_push_rules(found)
    return found


def _ecs_service(found):
    """A pipeline whose Amazon ECS (standard) deploy action updates a service that ECS deploys blue/green itself:
    its service is found by releases/worker/ecs_tracking.py (track.py calls it)."""
    found.ecs = {"cluster": found.config.get("ClusterName", ""), "service": found.config.get("ServiceName", "")}
    _image_push_rules(found)
    return found


def _deployment_group(found):
    try:
        found.deployment_group = aws.call(
            "codedeploy",
            "get_deployment_group",
            found.connection,
            applicationName=found.config.get("ApplicationName", ""),
            deploymentGroupName=found.config.get("DeploymentGroupName", ""),
        )["deploymentGroupInfo"]
    except aws.AwsError as error:
        if error.retryable:
            raise
        found.deployment_group_error = f"{error.code}: {error.message}"


def _service(found):
    services = (found.deployment_group or {}).get("ecsServices") or []
    if not services:
        return
    answer = aws.call(
        "ecs",
        "describe_services",
        found.connection,
        cluster=services[0]["clusterName"],
        services=[services[0]["serviceName"]],
    )
    live = [s for s in answer.get("services", []) if s.get("status") != "INACTIVE"]
    found.service = live[0] if live else None


def _load_balancing(found):
    for name in found.target_group_names:
        try:
            answer = aws.call("elbv2", "describe_target_groups", found.connection, Names=[name])
            found.target_groups[name] = answer["TargetGroups"][0]
        except aws.AwsError as error:
            if error.retryable:
                raise
            found.target_groups[name] = None
    for route in ("prod", "test"):
        arn = found.listener_arn(route)
        description = None
        if arn:
            try:
                answer = aws.call("elbv2", "describe_listeners", found.connection, ListenerArns=[arn])
                description = answer["Listeners"][0]
            except aws.AwsError as error:
                if error.retryable:
                    raise
        found.listeners[route] = (arn, description)
    lb_arns = {d["LoadBalancerArn"] for _, d in found.listeners.values() if d}
    lb_arns |= {arn for g in found.target_groups.values() if g for arn in g.get("LoadBalancerArns", [])}
    if lb_arns:
        try:
            balancers = aws.call(
                "elbv2", "describe_load_balancers", found.connection, LoadBalancerArns=sorted(lb_arns)[:1]
            )
            found.load_balancer = balancers["LoadBalancers"][0]
        except aws.AwsError as error:
            if error.retryable:
                raise


def _role(found):
    arn = (found.deployment_group or {}).get("serviceRoleArn") or ""
    if not arn:
        return
    try:
        found.role = aws.call("iam", "get_role", found.connection, RoleName=arn.rsplit("/", 1)[-1])["Role"]
    except aws.AwsError as error:
        if error.retryable:
            raise
        found.role_error = f"{error.code}: {error.message}"


def ecr_push_event(repository, tag, *, account, region):
    """An "ECR Image Action" event as EventBridge delivers it for a successful push."""
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "ECR Image Action",
        "source": "aws.ecr",
        "account": account,
        "time": "2026-01-01T00:00:00Z",
        "region": region,
        "resources": [],
        "detail": {
            "result": "SUCCESS",
            "repository-name": repository,
            "image-digest": "sha256:" + "0" * 64,
            "action-type": "PUSH",
            "image-tag": tag,
        },
    }


def _image_push_rules(found):
    """For each ECR source action: the enabled rules targeting the pipeline whose pattern EventBridge itself says
    matches a push of the action's repository and tag (a pipeline made through the API has none by itself)."""
    ecr = [a for a in found.source_actions if a["actionTypeId"].get("provider") == "ECR"]
    if not ecr or not found.pipeline_arn:
        return
    account, region = found.pipeline_arn.split(":")[4], found.pipeline_arn.split(":")[3]
    try:
        names = aws.paginate(
            "events", "list_rule_names_by_target", "RuleNames", found.connection, TargetArn=found.pipeline_arn
        )
        rules = [aws.call("events", "describe_rule", found.connection, Name=name) for name in names]
        for action in ecr:
            config = action.get("configuration", {})
            event = ecr_push_event(
                config.get("RepositoryName", ""), config.get("ImageTag") or "latest", account=account, region=region
            )
            found.push_rules[action["name"]] = [
                rule["Name"]
                for rule in rules
                if rule.get("State") == "ENABLED"
                and rule.get("EventPattern")
                and aws.call(
                    "events",
                    "test_event_pattern",
                    found.connection,
                    EventPattern=rule["EventPattern"],
                    Event=json.dumps(event),
                ).get("Result")
            ]
    except aws.AwsError as error:
        if error.retryable:
            raise
        found.rules_error = f"{error.code}: {error.message}"


def trust_policy(role):
    document = (role or {}).get("AssumeRolePolicyDocument") or {}
    if isinstance(document, str):
        document = json.loads(unquote(document))
    return document


def trusts(role, service):
    """Whether the role's trust policy lets `service` (e.g. codedeploy.amazonaws.com) assume it."""
    statements = trust_policy(role).get("Statement") or []
    for statement in [statements] if isinstance(statements, dict) else statements:
        principals = (statement.get("Principal") or {}).get("Service") or []
        actions = statement.get("Action") or []
        if (
            statement.get("Effect") == "Allow"
            and service in ([principals] if isinstance(principals, str) else principals)
            and {"sts:AssumeRole", "sts:*", "*"} & set([actions] if isinstance(actions, str) else actions)
        ):
            return True
    return False


def _source_files(found):
    config = found.config
    for key, artifact_key, path_key in (
        ("taskdef", "TaskDefinitionTemplateArtifact", "TaskDefinitionTemplatePath"),
        ("appspec", "AppSpecTemplateArtifact", "AppSpecTemplatePath"),
    ):
        artifact = config.get(artifact_key, "")
        path = config.get(path_key) or ("taskdef.json" if key == "taskdef" else "appspec.yaml")
        source = next(
            (a for a in found.source_actions if artifact in {o["name"] for o in a.get("outputArtifacts", [])}),
            None,
        )
        found.files[key] = (path, *_read_source_file(found.connection, source, path))


def _read_source_file(connection, source, path):
    """(text or None, note) of one file in a source action's artifact."""
    if source is None:
        return None, "no source action produces the artifact the deploy action reads it from"
    provider = source["actionTypeId"]["provider"]
    config = source.get("configuration", {})
    try:
        if provider == "CodeCommit":
            answer = aws.call(
                "codecommit",
                "get_file",
                connection,
                repositoryName=config.get("RepositoryName", ""),
                commitSpecifier=config.get("BranchName") or "main",
                filePath=path,
            )
            return _text(answer["fileContent"]), ""
        if provider == "S3":
            bucket, key = config.get("S3Bucket", ""), config.get("S3ObjectKey", "")
            answer = aws.call("s3", "get_object", connection, Bucket=bucket, Key=key)
            with zipfile.ZipFile(io.BytesIO(answer["Body"].read())) as archive:
                return _text(archive.read(path)), ""
    except aws.AwsError as error:
        if error.retryable:
            raise
        return None, f"{error.code}: {error.message}"
    except (KeyError, zipfile.BadZipFile) as error:
        return None, f"could not read {path} from the S3 object: {error}"
    return None, f"files in a {provider} source are not read by the dashboard; check them by hand"


def _text(content):
    return content.decode("utf-8", errors="replace") if isinstance(content, bytes) else str(content)
