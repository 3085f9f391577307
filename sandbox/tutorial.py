"""The AWS tutorial "Create a pipeline with an Amazon ECR source and ECS-to-CodeDeploy deployment",
steps 1-6, with plain boto3 and the tutorial's own names, files and ports.

Used by the sandbox's tests, the release console's tests and bench; handy to seed a sandbox by hand:
    from sandbox.tutorial import Tutorial; Tutorial(clients).build()
`clients` is anything with boto3 clients as attributes (ecr, ecs, ec2, elbv2, iam, codecommit, ...), and
`clients.sandbox` (sandbox.testing.SandboxClients) for settle(). The clients' account (ECR's registry id) goes into
every ARN the tutorial writes, so it builds the same in any account.
"""

import hashlib
import io
import json
import time
import zipfile
from dataclasses import dataclass, field

ACCOUNT_ID = "123456789012"  # the default account; TASKDEF and TASKDEF_TEMPLATE name roles in it

TASKDEF = {
    "executionRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/ecsTaskExecutionRole",
    "containerDefinitions": [
        {
            "name": "sample-website",
            "image": "nginx",
            "essential": True,
            "portMappings": [{"hostPort": 80, "protocol": "tcp", "containerPort": 80}],
        }
    ],
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
    "family": "ecs-demo",
}
TASKDEF_TEMPLATE = {
    **TASKDEF,
    "containerDefinitions": [{**TASKDEF["containerDefinitions"][0], "image": "<IMAGE1_NAME>"}],
}
APPSPEC = """version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo:
          ContainerName: "sample-website"
          ContainerPort: 80
"""
DEPLOY_CONFIGURATION = {
    "AppSpecTemplateArtifact": "SourceArtifact",
    "AppSpecTemplatePath": "appspec.yaml",
    "TaskDefinitionTemplateArtifact": "SourceArtifact",
    "TaskDefinitionTemplatePath": "taskdef.json",
    "ApplicationName": "codedeployapp",
    "DeploymentGroupName": "codedeploydeplgroup",
    "Image1ArtifactName": "MyImage",
    "Image1ContainerName": "IMAGE1_NAME",
}
TRUST_ECS_TASKS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
TRUST_CODEDEPLOY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
TRUST_EVENTS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
TRUST_CODEPIPELINE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def image_manifest(label: str) -> str:
    """A made-up Docker v2 manifest; a different label gives a different image digest."""
    layer = hashlib.sha256(label.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": f"sha256:{hashlib.sha256(('config' + label).encode()).hexdigest()}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654,
                    "digest": f"sha256:{layer}",
                }
            ],
        }
    )


def source_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@dataclass
class Tutorial:
    aws: object
    source: str = "codecommit"  # or "s3"
    ready_wait_minutes: int | None = 60  # None: reroute traffic immediately
    termination_wait_minutes: int = 60
    deployment_config: str = "CodeDeployDefault.ECSAllAtOnce"
    auto_rollback_on_failure: bool = False
    auto_rollback_on_stop: bool = False  # a stop_deployment rolls back (DEPLOYMENT_STOP_ON_REQUEST)
    # The console creates the EventBridge rules (and their role) that start the pipeline on a push or
    # a commit; without them nothing starts it but a person (or polling).
    event_rules: bool = True
    start_on_commit: bool = True  # with event_rules and a CodeCommit source: a commit starts the pipeline too
    ids: dict = field(default_factory=dict)
    pushes: int = 0

    # The tutorial's names.
    pipeline = "MyImagePipeline"
    repository = "nginx"
    code_repository = "MyDemoRepo"
    cluster = "my-cluster"
    service = "my-service"
    application = "codedeployapp"
    group = "codedeploydeplgroup"

    @property
    def account(self) -> str:
        if "account" not in self.ids:
            self.ids["account"] = self.aws.sts.get_caller_identity()["Account"]
        return self.ids["account"]

    def bucket(self, name: str) -> str:
        """S3 bucket names are shared by all accounts: another account's buckets carry its id."""
        return name if self.account == ACCOUNT_ID else f"{name}-{self.account}"

    def in_account(self, document: dict) -> dict:
        """One of the tutorial's documents with its ARNs in this tutorial's account."""
        return json.loads(json.dumps(document).replace(f":{ACCOUNT_ID}:", f":{self.account}:"))

    @property
    def role_arn(self) -> str:
        return self.ids["codedeploy_role_arn"]

    @property
    def load_balancer_arn(self) -> str:
        return self.ids["load_balancer_arn"]

    @property
    def target_groups(self) -> dict:
        return {name: self.ids[name] for name in ("target-group-1", "target-group-2")}

    @property
    def listeners(self) -> dict:
        return {"prod": self.ids["listener_80"], "test": self.ids["listener_8080"]}

    def build(self, pipeline: bool = True) -> "Tutorial":
        """Steps 1-6 (or 1-5 without the pipeline)."""
        self.step1_image()
        self.step2_sources()
        self.step3_load_balancer()
        self.step4_cluster_and_service()
        self.step5_codedeploy()
        if pipeline:
            self.step6_pipeline()
        return self

    def appspec(self, task_definition: str | None = None) -> str:
        return APPSPEC.replace("<TASK_DEFINITION>", task_definition or self.ids["task_definition_arn"])

    def create_deployment(self, **kwargs) -> str:
        """A CodeDeploy deployment of the registered task definition, without the pipeline."""
        revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": self.appspec()}}
        return self.aws.codedeploy.create_deployment(
            applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup", revision=revision, **kwargs
        )["deploymentId"]

    def push_image(self, label: str | None = None, tag: str = "latest") -> str:
        """Push an image as `docker push` does (a new label: a new digest); the push rule starts the pipeline."""
        self.pushes += 1
        manifest = image_manifest(label or f"{self.repository} push {self.pushes}")
        image = self.aws.ecr.put_image(repositoryName=self.repository, imageManifest=manifest, imageTag=tag)
        return image["image"]["imageId"]["imageDigest"]

    def deployments(self) -> list[dict]:
        """Every deployment of the group, oldest first."""
        pages = self.aws.codedeploy.get_paginator("list_deployments").paginate(
            applicationName=self.application, deploymentGroupName=self.group
        )
        ids = [i for page in pages for i in page["deployments"]]
        infos = []
        for start in range(0, len(ids), 25):  # AWS's batch limit
            infos += self.aws.codedeploy.batch_get_deployments(deploymentIds=ids[start : start + 25])["deploymentsInfo"]
        return sorted(infos, key=lambda d: d["createTime"])

    def target_status(self, deployment: dict) -> str:
        targets = self.aws.codedeploy.batch_get_deployment_targets(
            deploymentId=deployment["deploymentId"], targetIds=[f"{self.cluster}:{self.service}"]
        )["deploymentTargets"]
        return targets[0]["ecsTarget"]["status"] if targets else ""

    def settle(self) -> "Tutorial":
        """Let the release that creating the pipeline starts run to the end (on a manual-clock sandbox), moving it
        on as an operator in the CodeDeploy console would, so a test starts from one finished release."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.aws.sandbox.advance(10)
            summaries = self.aws.codepipeline.list_pipeline_executions(pipelineName=self.pipeline)
            if all(e["status"] not in ("InProgress", "Stopping") for e in summaries["pipelineExecutionSummaries"]):
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

    def step1_image(self, push: bool = True) -> None:
        repo = self.aws.ecr.create_repository(repositoryName="nginx")["repository"]
        self.ids["repository_uri"] = repo["repositoryUri"]
        self.ids.setdefault("account", repo["registryId"])
        if push:
            self.ids["first_digest"] = self.push_image("nginx:1")

    def step2_sources(self) -> None:
        iam = self.aws.iam
        iam.create_role(RoleName="ecsTaskExecutionRole", AssumeRolePolicyDocument=json.dumps(TRUST_ECS_TASKS))
        iam.attach_role_policy(
            RoleName="ecsTaskExecutionRole",
            PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        )
        task_def = self.aws.ecs.register_task_definition(**self.in_account(TASKDEF))["taskDefinition"]
        self.ids["task_definition_arn"] = task_def["taskDefinitionArn"]
        files = {"taskdef.json": json.dumps(self.in_account(TASKDEF_TEMPLATE), indent=4), "appspec.yaml": APPSPEC}
        if self.source == "codecommit":
            self.aws.codecommit.create_repository(repositoryName="MyDemoRepo")
            commit = self.aws.codecommit.create_commit(
                repositoryName="MyDemoRepo",
                branchName="main",
                commitMessage="Added task definition files",
                authorName="tutorial",
                email="tutorial@example.com",
                putFiles=[{"filePath": name, "fileContent": text.encode()} for name, text in files.items()],
            )
            self.ids["commit_id"] = commit["commitId"]
        else:
            s3 = self.aws.s3
            bucket = self.bucket("my-demo-source-bucket")
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            put = s3.put_object(Bucket=bucket, Key="source.zip", Body=source_zip(files))
            self.ids["s3_version"] = put.get("VersionId")

    def step3_load_balancer(self) -> None:
        ec2, elbv2 = self.aws.ec2, self.aws.elbv2
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
        subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
        by_zone = {}
        for subnet in sorted(subnets, key=lambda s: s["AvailabilityZone"]):
            by_zone.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
        self.ids["subnets"] = list(by_zone.values())[:2]
        group = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]
        self.ids["security_group"] = group["GroupId"]
        lb = elbv2.create_load_balancer(
            Name="my-alb",
            Subnets=self.ids["subnets"],
            SecurityGroups=[group["GroupId"]],
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
        )["LoadBalancers"][0]
        self.ids["load_balancer_arn"] = lb["LoadBalancerArn"]
        for name, port in (("target-group-1", 80), ("target-group-2", 8080)):
            tg = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=port, VpcId=vpc["VpcId"], TargetType="ip")[
                "TargetGroups"
            ][0]
            self.ids[name] = tg["TargetGroupArn"]
        for port, tg in ((80, "target-group-1"), (8080, "target-group-2")):
            listener = elbv2.create_listener(
                LoadBalancerArn=lb["LoadBalancerArn"],
                Protocol="HTTP",
                Port=port,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": self.ids[tg]}],
            )["Listeners"][0]
            self.ids[f"listener_{port}"] = listener["ListenerArn"]

    def create_service_json(self) -> dict:
        """create-service.json as the tutorial prints it, with the real ARN, subnets and group."""
        return {
            "taskDefinition": "ecs-demo:1",
            "cluster": "my-cluster",
            "loadBalancers": [
                {"targetGroupArn": self.ids["target-group-1"], "containerName": "sample-website", "containerPort": 80}
            ],
            "desiredCount": 1,
            "launchType": "FARGATE",
            "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "CODE_DEPLOY"},
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": self.ids["subnets"],
                    "securityGroups": [self.ids["security_group"]],
                    "assignPublicIp": "ENABLED",
                }
            },
        }

    def step4_cluster_and_service(self, create_service: bool = True) -> None:
        self.aws.ecs.create_cluster(clusterName="my-cluster")
        if create_service:
            self.aws.ecs.create_service(serviceName="my-service", **self.create_service_json())

    def step5_codedeploy(self) -> None:
        iam = self.aws.iam
        role = iam.create_role(RoleName="CodeDeployECSRole", AssumeRolePolicyDocument=json.dumps(TRUST_CODEDEPLOY))
        iam.attach_role_policy(
            RoleName="CodeDeployECSRole", PolicyArn="arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
        )
        self.ids["codedeploy_role_arn"] = role["Role"]["Arn"]
        self.aws.codedeploy.create_application(applicationName="codedeployapp", computePlatform="ECS")
        self.aws.codedeploy.create_deployment_group(**self.deployment_group_definition())

    def deployment_group_definition(self) -> dict:
        ready = (
            {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": self.ready_wait_minutes}
            if self.ready_wait_minutes is not None
            else {"actionOnTimeout": "CONTINUE_DEPLOYMENT"}
        )
        rollback_events = ["DEPLOYMENT_FAILURE"] if self.auto_rollback_on_failure else []
        rollback_events += ["DEPLOYMENT_STOP_ON_REQUEST"] if self.auto_rollback_on_stop else []
        return {
            "applicationName": "codedeployapp",
            "deploymentGroupName": "codedeploydeplgroup",
            "deploymentConfigName": self.deployment_config,
            "serviceRoleArn": self.ids["codedeploy_role_arn"],
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {
                    "action": "TERMINATE",
                    "terminationWaitTimeInMinutes": self.termination_wait_minutes,
                },
                "deploymentReadyOption": ready,
            },
            "autoRollbackConfiguration": {"enabled": bool(rollback_events), "events": rollback_events},
            "ecsServices": [{"serviceName": "my-service", "clusterName": "my-cluster"}],
            "loadBalancerInfo": {
                "targetGroupPairInfoList": [
                    {
                        "targetGroups": [{"name": "target-group-1"}, {"name": "target-group-2"}],
                        "prodTrafficRoute": {"listenerArns": [self.ids["listener_80"]]},
                        "testTrafficRoute": {"listenerArns": [self.ids["listener_8080"]]},
                    }
                ]
            },
        }

    def pipeline_definition(self) -> dict:
        if self.source == "codecommit":
            source_action = {
                "name": "Source",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                "configuration": {
                    "RepositoryName": "MyDemoRepo",
                    "BranchName": "main",
                    "PollForSourceChanges": "false",
                },
                "outputArtifacts": [{"name": "SourceArtifact"}],
                "runOrder": 1,
            }
        else:
            source_action = {
                "name": "Source",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {
                    "S3Bucket": self.bucket("my-demo-source-bucket"),
                    "S3ObjectKey": "source.zip",
                    "PollForSourceChanges": "false",
                },
                "outputArtifacts": [{"name": "SourceArtifact"}],
                "runOrder": 1,
            }
        image_action = {
            "name": "Image",
            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
            "configuration": {"RepositoryName": "nginx", "ImageTag": "latest"},
            "outputArtifacts": [{"name": "MyImage"}],
            "runOrder": 1,
        }
        deploy_action = {
            "name": "Deploy",
            "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CodeDeployToECS", "version": "1"},
            "configuration": dict(DEPLOY_CONFIGURATION),
            "inputArtifacts": [{"name": "SourceArtifact"}, {"name": "MyImage"}],
            "runOrder": 1,
        }
        return {
            "name": "MyImagePipeline",
            "roleArn": self.ids["codepipeline_role_arn"],
            "artifactStore": {"type": "S3", "location": self.bucket("codepipeline-us-east-1-artifacts")},
            "stages": [
                {"name": "Source", "actions": [source_action, image_action]},
                {"name": "Deploy", "actions": [deploy_action]},
            ],
            "version": 1,
        }

    def step6_pipeline(self) -> None:
        role = self.aws.iam.create_role(
            RoleName="AWSCodePipelineServiceRole-us-east-1-MyImagePipeline",
            AssumeRolePolicyDocument=json.dumps(TRUST_CODEPIPELINE),
        )
        self.ids["codepipeline_role_arn"] = role["Role"]["Arn"]
        self.aws.s3.create_bucket(Bucket=self.bucket("codepipeline-us-east-1-artifacts"))
        self.create_pipeline()

    def create_pipeline(self) -> None:
        created = self.aws.codepipeline.create_pipeline(pipeline=self.pipeline_definition())
        self.ids["pipeline_arn"] = f"arn:aws:codepipeline:us-east-1:{self.account}:{created['pipeline']['name']}"
        if self.event_rules:
            self.create_event_rules()

    def ecr_event_pattern(self, tag: str = "latest") -> dict:
        return {
            "source": ["aws.ecr"],
            "detail-type": ["ECR Image Action"],
            "detail": {
                "action-type": ["PUSH"],
                "image-tag": [tag],
                "repository-name": ["nginx"],
                "result": ["SUCCESS"],
            },
        }

    def codecommit_event_pattern(self, branch: str = "main") -> dict:
        return {
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [f"arn:aws:codecommit:us-east-1:{self.account}:MyDemoRepo"],
            "detail": {
                "event": ["referenceCreated", "referenceUpdated"],
                "referenceType": ["branch"],
                "referenceName": [branch],
            },
        }

    def create_event_rules(self) -> None:
        """What the console adds: a role EventBridge assumes to start the pipeline, and one rule per source."""
        self.create_events_role()
        self.add_event_rule("codepipeline-nginx-latest-rule", self.ecr_event_pattern())
        if self.source == "codecommit" and self.start_on_commit:
            self.add_event_rule("codepipeline-MyDemoRepo-main-rule", self.codecommit_event_pattern())

    def create_events_role(self) -> str:
        iam = self.aws.iam
        role_name = "cwe-role-us-east-1-MyImagePipeline"
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(TRUST_EVENTS))["Role"]
        iam.put_role_policy(
            RoleName=role_name,
            PolicyName="start-pipeline-execution-us-east-1-MyImagePipeline",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["codepipeline:StartPipelineExecution"],
                            "Resource": [self.ids["pipeline_arn"]],
                        }
                    ],
                }
            ),
        )
        self.ids["events_role_arn"] = role["Arn"]
        return role["Arn"]

    def add_event_rule(self, name: str, pattern: dict, state: str = "ENABLED", role_arn: str | None = None) -> str:
        rule = self.aws.events.put_rule(Name=name, EventPattern=json.dumps(pattern), State=state)
        role_arn = role_arn or self.ids["events_role_arn"]
        self.aws.events.put_targets(
            Rule=name,
            Targets=[
                {
                    "Id": "codepipeline-MyImagePipeline",
                    "Arn": self.ids["pipeline_arn"],
                    "RoleArn": role_arn,
                }
            ],
        )
        return rule["RuleArn"]
