"""Fixtures of the release console: the tutorial's setup built by hand with plain boto3 against the sandbox."""

import json
import time
from dataclasses import dataclass, field

import boto3
import pytest
from botocore.config import Config

from sandbox.tutorial import APPSPEC, image_manifest
from sandbox.tutorial import TASKDEF_TEMPLATE as TASKDEF

CODEDEPLOY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


_CLIENTS = {}  # boto3 clients are slow to make (a few tenths of a second each): one per service per session


class Clients:
    """Plain boto3 clients for the sandbox: clients.ecs, clients.codedeploy, ..."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.endpoint_url = sandbox.endpoint_url
        self._session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self._cache = _CLIENTS.setdefault(self.endpoint_url, {})

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            config = Config(retries={"max_attempts": 2, "mode": "standard"})
            self._cache[name] = self._session.client(name, endpoint_url=self.endpoint_url, config=config)
        return self._cache[name]


@dataclass
class Tutorial:
    """The names and ARNs of a setup made as the tutorial does it, and helpers to release on it."""

    aws: Clients
    pipeline: str = "MyImagePipeline"
    repository: str = "nginx"
    code_repository: str = "my-demo-repo"
    cluster: str = "my-cluster"
    service: str = "my-service"
    application: str = "codedeployapp"
    group: str = "codedeploydeplgroup"
    role_arn: str = ""
    target_groups: dict = field(default_factory=dict)
    listeners: dict = field(default_factory=dict)
    load_balancer_arn: str = ""
    pushes: int = 0

    def deployments(self):
        pages = self.aws.codedeploy.get_paginator("list_deployments").paginate(
            applicationName=self.application, deploymentGroupName=self.group
        )
        ids = [i for page in pages for i in page["deployments"]]
        infos = []
        for start in range(0, len(ids), 25):  # AWS's batch limit
            infos += self.aws.codedeploy.batch_get_deployments(deploymentIds=ids[start : start + 25])["deploymentsInfo"]
        return sorted(infos, key=lambda d: d["createTime"])

    def settle(self):
        """Let the release that creating the pipeline starts run to the end, moving it on by hand as an
        operator in the CodeDeploy console would, so a test starts from one finished release."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.aws.sandbox.advance(10)
            executions = self.aws.codepipeline.list_pipeline_executions(pipelineName=self.pipeline)
            summaries = executions["pipelineExecutionSummaries"]
            if summaries and all(e["status"] not in ("InProgress", "Stopping") for e in summaries):
                return self
            for deployment in self.deployments():
                wait = {"Ready": "READY_WAIT"}.get(deployment["status"])
                if deployment["status"] == "InProgress" and self.target_status(deployment) == "Succeeded":
                    wait = "TERMINATION_WAIT"  # CodeDeploy leaves instanceTerminationWaitTimeStarted false for ECS
                if wait:
                    self.aws.codedeploy.continue_deployment(
                        deploymentId=deployment["deploymentId"], deploymentWaitType=wait
                    )
        raise AssertionError("the first release did not finish")

    def target_status(self, deployment):
        targets = self.aws.codedeploy.batch_get_deployment_targets(
            deploymentId=deployment["deploymentId"], targetIds=[f"{self.cluster}:{self.service}"]
        )["deploymentTargets"]
        return targets[0]["ecsTarget"]["status"] if targets else ""

    def push_image(self, tag="latest"):
        """Push a new image to ECR, as `docker push` does; the pipeline starts from it."""
        self.pushes += 1
        return self.aws.ecr.put_image(
            repositoryName=self.repository,
            imageTag=tag,
            imageManifest=image_manifest(f"{self.pipeline} push {self.pushes} {time.time()}"),
            imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
        )["image"]


def build_tutorial(
    aws,
    *,
    pipeline="MyImagePipeline",
    ready_wait=30,
    termination_wait=60,
    controller="CODE_DEPLOY",
    trust=CODEDEPLOY_TRUST,
    taskdef=None,
    appspec=APPSPEC,
    second_target_group=True,
    test_listener=True,
    push_rule=True,
):
    """The tutorial's steps 1-6 with plain boto3 (what someone does by hand in the consoles), in the sandbox.

    ready_wait: minutes to wait for a manual reroute (None: reroute at once); termination_wait: minutes before
    the original task set is terminated. The other arguments break one part, for the pre-flight checks
    (push_rule=False: no EventBridge rule, so an image push does not start the pipeline).
    """
    t = Tutorial(aws, pipeline=pipeline)
    suffix = "" if pipeline == "MyImagePipeline" else f"-{pipeline.lower()}"
    t.repository += suffix
    t.code_repository += suffix
    t.service += suffix
    t.application += suffix
    t.group += suffix
    # Step 1: an image in ECR.
    aws.ecr.create_repository(repositoryName=t.repository)
    t.push_image()
    # Step 2: taskdef.json and appspec.yaml in CodeCommit, and the task definition registered once.
    aws.codecommit.create_repository(repositoryName=t.code_repository)
    taskdef = taskdef if taskdef is not None else TASKDEF
    commit = aws.codecommit.put_file(
        repositoryName=t.code_repository,
        branchName="main",
        fileContent=json.dumps(taskdef, indent=2).encode(),
        filePath="taskdef.json",
        commitMessage="Added task definition",
    )["commitId"]
    aws.codecommit.put_file(
        repositoryName=t.code_repository,
        branchName="main",
        parentCommitId=commit,
        fileContent=appspec.encode(),
        filePath="appspec.yaml",
        commitMessage="Added AppSpec",
    )
    registered = {**TASKDEF, "containerDefinitions": [{**TASKDEF["containerDefinitions"][0], "image": "nginx"}]}
    task_definition = aws.ecs.register_task_definition(**registered)["taskDefinition"]["taskDefinitionArn"]
    # Step 3: the load balancer, two target groups, listeners on 80 and 8080.
    vpc = aws.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [
        s["SubnetId"]
        for s in aws.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
    ]
    group_id = aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ][0]["GroupId"]
    balancer = aws.elbv2.create_load_balancer(
        Name=f"alb{suffix}"[:32], Subnets=subnets, SecurityGroups=[group_id], Scheme="internet-facing"
    )["LoadBalancers"][0]
    t.load_balancer_arn = balancer["LoadBalancerArn"]
    for number, port in ((1, 80), (2, 8080)):
        name = f"target-group-{number}{suffix}"[:32]
        arn = aws.elbv2.create_target_group(Name=name, Protocol="HTTP", Port=port, VpcId=vpc, TargetType="ip")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        t.target_groups[name] = arn
    names = list(t.target_groups)
    for route, port, name in (("prod", 80, names[0]), ("test", 8080, names[1])):
        if route == "test" and not test_listener:
            continue
        t.listeners[route] = aws.elbv2.create_listener(
            LoadBalancerArn=t.load_balancer_arn,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": t.target_groups[name]}],
        )["Listeners"][0]["ListenerArn"]
    # Step 4: the cluster and the service (deployment controller CODE_DEPLOY).
    aws.ecs.create_cluster(clusterName=t.cluster)
    aws.ecs.create_service(
        cluster=t.cluster,
        serviceName=t.service,
        taskDefinition=task_definition,
        loadBalancers=[
            {"targetGroupArn": t.target_groups[names[0]], "containerName": "sample-website", "containerPort": 80}
        ],
        desiredCount=1,
        launchType="FARGATE",
        schedulingStrategy="REPLICA",
        deploymentController={"type": controller},
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group_id], "assignPublicIp": "ENABLED"}
        },
    )
    # Step 5: the service role, the CodeDeploy application and deployment group.
    role_name = f"CodeDeployECSRole{suffix}"
    try:
        t.role_arn = aws.iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except aws.iam.exceptions.EntityAlreadyExistsException:
        t.role_arn = aws.iam.get_role(RoleName=role_name)["Role"]["Arn"]
    aws.iam.attach_role_policy(RoleName=role_name, PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS")
    aws.codedeploy.create_application(applicationName=t.application, computePlatform="ECS")
    ready = (
        {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": ready_wait}
        if ready_wait
        else {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}
    )
    pair_groups = [{"name": names[0]}] + ([{"name": names[1]}] if second_target_group else [])
    routes = {"prodTrafficRoute": {"listenerArns": [t.listeners["prod"]]}}
    if test_listener:
        routes["testTrafficRoute"] = {"listenerArns": [t.listeners["test"]]}
    aws.codedeploy.create_deployment_group(
        applicationName=t.application,
        deploymentGroupName=t.group,
        serviceRoleArn=t.role_arn,
        deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        ecsServices=[{"serviceName": t.service, "clusterName": t.cluster}],
        loadBalancerInfo={"targetGroupPairInfoList": [{"targetGroups": pair_groups, **routes}]},
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": "TERMINATE",
                "terminationWaitTimeInMinutes": termination_wait,
            },
            "deploymentReadyOption": ready,
        },
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]},
    )
    # Step 6: the pipeline: CodeCommit + ECR sources, the Amazon ECS (Blue/Green) deploy action.
    pipeline_role = f"CodePipelineRole{suffix}"
    pipeline_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = aws.iam.create_role(RoleName=pipeline_role, AssumeRolePolicyDocument=json.dumps(pipeline_trust))
    aws.s3.create_bucket(Bucket=f"artifacts{suffix}")
    aws.codepipeline.create_pipeline(
        pipeline={
            "name": pipeline,
            "roleArn": role["Role"]["Arn"],
            "artifactStore": {"type": "S3", "location": f"artifacts{suffix}"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "Source",
                            "actionTypeId": {
                                "category": "Source",
                                "owner": "AWS",
                                "provider": "CodeCommit",
                                "version": "1",
                            },
                            "configuration": {
                                "RepositoryName": t.code_repository,
                                "BranchName": "main",
                                "PollForSourceChanges": "false",
                            },
                            "outputArtifacts": [{"name": "SourceArtifact"}],
                        },
                        {
                            "name": "Image",
                            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
                            "configuration": {"RepositoryName": t.repository, "ImageTag": "latest"},
                            "outputArtifacts": [{"name": "MyImage"}],
                        },
                    ],
                },
                {
                    "name": "Deploy",
                    "actions": [
                        {
                            "name": "Deploy",
                            "actionTypeId": {
                                "category": "Deploy",
                                "owner": "AWS",
                                "provider": "CodeDeployToECS",
                                "version": "1",
                            },
                            "configuration": {
                                "AppSpecTemplateArtifact": "SourceArtifact",
                                "AppSpecTemplatePath": "appspec.yaml",
                                "TaskDefinitionTemplateArtifact": "SourceArtifact",
                                "TaskDefinitionTemplatePath": "taskdef.json",
                                "ApplicationName": t.application,
                                "DeploymentGroupName": t.group,
                                "Image1ArtifactName": "MyImage",
                                "Image1ContainerName": "IMAGE1_NAME",
                            },
                            "inputArtifacts": [{"name": "SourceArtifact"}, {"name": "MyImage"}],
                        }
                    ],
                },
            ],
        }
    )
    if push_rule:
        add_push_rule(aws, t, suffix)
    return t


def add_push_rule(aws, t, suffix=""):
    """What the CodePipeline console makes beside a pipeline with an ECR source: an EventBridge rule on the image
    push, and a role that lets EventBridge start the pipeline."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    pipeline_arn = aws.codepipeline.get_pipeline(name=t.pipeline)["metadata"]["pipelineArn"]
    role = aws.iam.create_role(RoleName=f"cwe-role-{t.pipeline}"[:64], AssumeRolePolicyDocument=json.dumps(trust))
    allow = {"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": pipeline_arn}
    aws.iam.put_role_policy(
        RoleName=role["Role"]["RoleName"],
        PolicyName="start-pipeline",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    pattern = {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        "detail": {
            "action-type": ["PUSH"],
            "image-tag": ["latest"],
            "repository-name": [t.repository],
            "result": ["SUCCESS"],
        },
    }
    rule = f"codepipeline-{t.repository}-latest-rule{suffix}"[:64]
    aws.events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED")
    aws.events.put_targets(
        Rule=rule, Targets=[{"Id": "codepipeline", "Arn": pipeline_arn, "RoleArn": role["Role"]["Arn"]}]
    )
    return rule


def deployment_history(aws, t, count):
    """`count` more deployments of the tutorial's group, each stopped as soon as it was created, ten minutes apart:
    a group in real use has a long history."""
    definition = aws.ecs.list_task_definitions(sort="DESC")["taskDefinitionArns"][0]
    content = APPSPEC.replace("<TASK_DEFINITION>", definition)
    for number in range(count):
        made = aws.codedeploy.create_deployment(
            applicationName=t.application,
            deploymentGroupName=t.group,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
            description=f"earlier deployment {number + 1}",
        )
        aws.codedeploy.stop_deployment(deploymentId=made["deploymentId"], autoRollbackEnabled=False)
        aws.sandbox.advance(600)


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The project's sandbox fixture, keeping the dashboard's AWS clients between tests (the endpoint does not
    change within a session, and making clients again costs time in every test)."""
    sandbox_server.reset()
    settings.AWS_ENDPOINT_URL = sandbox_server.endpoint_url
    settings.AWS_REGION = "us-east-1"
    settings.AWS_MAX_ATTEMPTS = 2
    return sandbox_server


@pytest.fixture
def boto(sandbox):
    return Clients(sandbox)


@pytest.fixture
def tutorial(boto):
    """The tutorial's setup, made by hand (not by the wizard), its first release finished:
    30 min ready wait, 60 min termination wait."""
    return build_tutorial(boto).settle()


def poll_until(sandbox, target, condition, *, step=5, timeout=20, what="the condition"):
    """Advance the sandbox clock by `step` seconds and refresh the target until `condition(target)` holds."""
    from releases import polling

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polling.refresh(target.pk)
        target.refresh_from_db()
        if condition(target):
            return target
        sandbox.advance(step)
    raise AssertionError(f"{what} did not happen; last deployment: {target.latest_deployment()}")


def deployment_status(status):
    def check(target):
        deployment = target.deployments.filter(rollback_of="").first()
        return deployment is not None and deployment.status == status

    check.__name__ = f"deployment {status}"
    return check


def in_termination_wait(target):
    deployment = target.deployments.filter(rollback_of="").first()
    return deployment is not None and deployment.is_termination_wait


@pytest.fixture
def history(request):
    """How many earlier deployments the tracked group has besides its first release (parametrize indirectly)."""
    return getattr(request, "param", 0)


@pytest.fixture
def tracked(db, tutorial, boto, history):
    """The hand-made tutorial setup, tracked and refreshed once."""
    from releases import polling
    from releases.services import track_pipeline

    if history:
        boto.sandbox.configure(list_deployments_page_size=7)  # AWS pages the list; small pages in tests
        deployment_history(boto, tutorial, history)
    target = track_pipeline(tutorial.pipeline)
    polling.refresh(target.pk)
    target.refresh_from_db()
    return target


@pytest.fixture
def ready(tracked, tutorial, sandbox):
    """A new image pushed and its deployment waiting for a reroute (Ready), as the database knows it."""
    tutorial.push_image()
    return poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")


def wait_for(condition, timeout=15, what="the condition"):
    """Wait (without sleeping longer than needed) for something a worker does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")
