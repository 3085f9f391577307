"""What the tutorial says the finished setup looks like, checked with plain boto3 against the sandbox."""

import io
import json
import threading
import zipfile

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.db import connection

from provisioning.models import StepRun

ACCOUNT = "123456789012"
TASKDEF_TEMPLATE = {
    "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole",
    "containerDefinitions": [
        {
            "name": "sample-website",
            "image": "<IMAGE1_NAME>",
            "essential": True,
            "portMappings": [{"hostPort": 80, "protocol": "tcp", "containerPort": 80}],
        }
    ],
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
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


def source_files(aws, name, source):
    if source == "s3":
        bucket = f"{name}-source-{ACCOUNT}"
        assert aws.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        data = aws.s3.get_object(Bucket=bucket, Key="source.zip")["Body"].read()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {n: archive.read(n).decode() for n in archive.namelist()}
    repository = f"{name}-source"
    branch = aws.codecommit.get_branch(repositoryName=repository, branchName="master")["branch"]
    return {
        path: aws.codecommit.get_file(repositoryName=repository, commitSpecifier=branch["commitId"], filePath=path)[
            "fileContent"
        ].decode()
        for path in ("taskdef.json", "appspec.yaml")
    }


def trusted_by(aws, role, service):
    document = aws.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    return document["Statement"][0]["Principal"]["Service"] == service


def attached(aws, role):
    return {p["PolicyName"] for p in aws.iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}


def assert_set_up_as_the_tutorial_says(aws, name, *, source):
    # Step 1: the image repository, with the image
    repo = aws.ecr.describe_repositories(repositoryNames=[f"{name}-images"])["repositories"][0]
    assert aws.ecr.describe_images(repositoryName=f"{name}-images", imageIds=[{"imageTag": "latest"}])["imageDetails"]

    # Step 2: the execution role, the task definition with the real image, and the two files
    assert trusted_by(aws, "ecsTaskExecutionRole", "ecs-tasks.amazonaws.com")
    assert "AmazonECSTaskExecutionRolePolicy" in attached(aws, "ecsTaskExecutionRole")
    first = aws.ecs.describe_task_definition(taskDefinition=f"{name}:1")["taskDefinition"]
    container = first["containerDefinitions"][0]
    assert (container["name"], container["image"]) == ("sample-website", f"{repo['repositoryUri']}:latest")
    assert container["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert (first["cpu"], first["memory"], first["networkMode"]) == ("256", "512", "awsvpc")
    assert first["requiresCompatibilities"] == ["FARGATE"]
    assert first["executionRoleArn"] == TASKDEF_TEMPLATE["executionRoleArn"]
    files = source_files(aws, name, source)
    assert json.loads(files["taskdef.json"]) == {**TASKDEF_TEMPLATE, "family": name}
    assert files["appspec.yaml"] == APPSPEC

    # Step 3: an internet-facing IPv4 ALB in two public subnets of different zones, two IP target groups
    balancer = aws.elbv2.describe_load_balancers(Names=[f"{name}-alb"])["LoadBalancers"][0]
    assert (balancer["Type"], balancer["Scheme"], balancer["IpAddressType"]) == (
        "application",
        "internet-facing",
        "ipv4",
    )
    assert len({zone["ZoneName"] for zone in balancer["AvailabilityZones"]}) == 2
    groups = aws.elbv2.describe_target_groups(Names=[f"{name}-tg-1", f"{name}-tg-2"])["TargetGroups"]
    assert sorted((g["TargetGroupName"], g["Protocol"], g["Port"], g["TargetType"]) for g in groups) == [
        (f"{name}-tg-1", "HTTP", 80, "ip"),
        (f"{name}-tg-2", "HTTP", 8080, "ip"),
    ]
    group_arns = {g["TargetGroupArn"] for g in groups}
    listeners = aws.elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert sorted(listener["Port"] for listener in listeners) == [80, 8080]
    for listener in listeners:
        forward = listener["DefaultActions"][0]
        arns = {forward.get("TargetGroupArn")} - {None} or {
            g["TargetGroupArn"] for g in forward["ForwardConfig"]["TargetGroups"] if g.get("Weight", 1)
        }
        assert arns <= group_arns
    by_port = {listener["Port"]: listener["ListenerArn"] for listener in listeners}

    # Step 4: the cluster and the service, deployed by CodeDeploy
    service = aws.ecs.describe_services(cluster=f"{name}-cluster", services=[f"{name}-service"])["services"][0]
    assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert service["launchType"] == "FARGATE"
    assert service["desiredCount"] == 1
    (load_balancer,) = service["loadBalancers"]
    assert (load_balancer["containerName"], load_balancer["containerPort"]) == ("sample-website", 80)
    assert load_balancer["targetGroupArn"] in group_arns
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(network["subnets"]) == sorted(s["SubnetId"] for s in balancer["AvailabilityZones"])
    assert network["securityGroups"] == balancer["SecurityGroups"]
    assert network["assignPublicIp"] == "ENABLED"

    # Step 5: CodeDeploy
    application = aws.codedeploy.get_application(applicationName=f"{name}-app")["application"]
    assert application["computePlatform"] == "ECS"
    group = aws.codedeploy.get_deployment_group(applicationName=f"{name}-app", deploymentGroupName=f"{name}-dg")[
        "deploymentGroupInfo"
    ]
    assert group["serviceRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}-codedeploy"
    assert trusted_by(aws, f"{name}-codedeploy", "codedeploy.amazonaws.com")
    assert "AWSCodeDeployRoleForECS" in attached(aws, f"{name}-codedeploy")
    assert group["ecsServices"] == [{"serviceName": f"{name}-service", "clusterName": f"{name}-cluster"}]
    assert group["deploymentConfigName"] == "CodeDeployDefault.ECSAllAtOnce"
    assert group["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    blue_green = group["blueGreenDeploymentConfiguration"]
    assert blue_green["deploymentReadyOption"]["actionOnTimeout"] == "CONTINUE_DEPLOYMENT"
    assert blue_green["terminateBlueInstancesOnDeploymentSuccess"] == {
        "action": "TERMINATE",
        "terminationWaitTimeInMinutes": 60,
    }
    assert group["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    (pair,) = group["loadBalancerInfo"]["targetGroupPairInfoList"]
    assert [g["name"] for g in pair["targetGroups"]] == [f"{name}-tg-1", f"{name}-tg-2"]
    assert pair["prodTrafficRoute"]["listenerArns"] == [by_port[80]]
    assert pair["testTrafficRoute"]["listenerArns"] == [by_port[8080]]

    # Step 6: the pipeline
    pipeline = aws.codepipeline.get_pipeline(name=f"{name}-pipeline")["pipeline"]
    assert [stage["name"] for stage in pipeline["stages"]] == ["Source", "Deploy"]
    files_action, image_action = pipeline["stages"][0]["actions"]
    provider = {"codecommit": "CodeCommit", "s3": "S3"}[source]
    assert files_action["actionTypeId"]["provider"] == provider
    assert files_action["outputArtifacts"] == [{"name": "SourceArtifact"}]
    assert image_action["actionTypeId"]["provider"] == "ECR"
    assert image_action["configuration"] == {"RepositoryName": f"{name}-images", "ImageTag": "latest"}
    assert image_action["outputArtifacts"] == [{"name": "MyImage"}]
    (deploy,) = pipeline["stages"][1]["actions"]
    assert deploy["actionTypeId"]["provider"] == "CodeDeployToECS"
    assert deploy["configuration"] == {
        "AppSpecTemplateArtifact": "SourceArtifact",
        "AppSpecTemplatePath": "appspec.yaml",
        "TaskDefinitionTemplateArtifact": "SourceArtifact",
        "TaskDefinitionTemplatePath": "taskdef.json",
        "ApplicationName": f"{name}-app",
        "DeploymentGroupName": f"{name}-dg",
        "Image1ArtifactName": "MyImage",
        "Image1ContainerName": "IMAGE1_NAME",
    }
    assert aws.events.describe_rule(Name=f"{name}-image-push")["State"] == "ENABLED"

    # Step 7: a release succeeded
    executions = aws.codepipeline.list_pipeline_executions(pipelineName=f"{name}-pipeline")
    assert executions["pipelineExecutionSummaries"][0]["status"] == "Succeeded"
    succeeded = aws.codedeploy.list_deployments(
        applicationName=f"{name}-app", deploymentGroupName=f"{name}-dg", includeOnlyStatuses=["Succeeded"]
    )
    assert succeeded["deployments"]


def gone(call, *codes):
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] in codes, raised.value.response["Error"]


def assert_nothing_left(aws, name, *, source="codecommit"):
    gone(lambda: aws.ecr.describe_repositories(repositoryNames=[f"{name}-images"]), "RepositoryNotFoundException")
    for role in ("ecsTaskExecutionRole", f"{name}-codedeploy", f"{name}-codepipeline", f"{name}-events"):
        gone(lambda role=role: aws.iam.get_role(RoleName=role), "NoSuchEntity")
    assert aws.ecs.list_task_definitions(familyPrefix=name, status="ACTIVE")["taskDefinitionArns"] == []
    if source == "s3":
        gone(lambda: aws.s3.head_bucket(Bucket=f"{name}-source-{ACCOUNT}"), "404", "NoSuchBucket")
    else:
        gone(lambda: aws.codecommit.get_repository(repositoryName=f"{name}-source"), "RepositoryDoesNotExistException")
    gone(lambda: aws.s3.head_bucket(Bucket=f"{name}-artifacts-{ACCOUNT}"), "404", "NoSuchBucket")
    gone(lambda: aws.elbv2.describe_load_balancers(Names=[f"{name}-alb"]), "LoadBalancerNotFound")
    for group in (f"{name}-tg-1", f"{name}-tg-2"):
        gone(lambda group=group: aws.elbv2.describe_target_groups(Names=[group]), "TargetGroupNotFound")
    assert (
        aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{name}-alb"]}])["SecurityGroups"]
        == []
    )
    clusters = aws.ecs.describe_clusters(clusters=[f"{name}-cluster"])["clusters"]
    assert all(cluster["status"] == "INACTIVE" for cluster in clusters)
    gone(lambda: aws.codedeploy.get_application(applicationName=f"{name}-app"), "ApplicationDoesNotExistException")
    gone(lambda: aws.codepipeline.get_pipeline(name=f"{name}-pipeline"), "PipelineNotFoundException")
    gone(lambda: aws.events.describe_rule(Name=f"{name}-image-push"), "ResourceNotFoundException")


def follow_release_to_the_end(aws, sandbox, pipeline, *, step_seconds=1800, limit=20):
    """Advance the sandbox's clock until the pipeline's latest execution has ended; returns its status."""
    for _ in range(limit):
        executions = aws.codepipeline.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"]
        if executions and executions[0]["status"] not in ("InProgress", "Stopping"):
            return executions[0]["status"]
        sandbox.advance(step_seconds)
    raise AssertionError(f"{pipeline} still running after {limit * step_seconds} sandbox seconds")


IAM_WAIT = "IAM is still making the new role known to"


def provision_in_thread(sandbox, *args, propagation=60):
    """Run `provision` in a thread; move the sandbox's clock only while a step waits (past a new role's
    `propagation` when it waits for IAM, an hour when it waits for the release), so that a create passing a
    new role meets IAM's refusal first. Returns the steps that waited for IAM."""
    failures, waited = [], set()

    def command():
        try:
            call_command("provision", *args)
        except Exception as error:  # noqa: BLE001 - handed to the test thread
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=command)
    thread.start()
    while thread.is_alive():
        waiting = StepRun.objects.filter(status=StepRun.WAITING).first()
        if waiting is not None:
            if IAM_WAIT in waiting.message:
                waited.add(waiting.step)
            sandbox.advance(propagation + 1 if IAM_WAIT in waiting.message else 3600)
        thread.join(0.05)
    assert failures == []
    return waited


def assert_set_up_with_ecs_blue_green(aws, name, *, source="codecommit", bake_minutes=30):
    """The setup as the ECS engine makes it: the tutorial's first three steps, then ECS's own blue/green (the ECS
    developer guide's resources) in place of CodeDeploy, and a pipeline with the Amazon ECS deploy action."""
    repo = aws.ecr.describe_repositories(repositoryNames=[f"{name}-images"])["repositories"][0]
    if source == "codecommit":
        repository = f"{name}-source"
        branch = aws.codecommit.get_branch(repositoryName=repository, branchName="master")["branch"]
        tree = aws.codecommit.get_folder(repositoryName=repository, commitSpecifier=branch["commitId"], folderPath="/")
        assert [f["relativePath"] for f in tree["files"]] == ["imagedefinitions.json"]
        text = aws.codecommit.get_file(
            repositoryName=repository, commitSpecifier=branch["commitId"], filePath="imagedefinitions.json"
        )["fileContent"]
        assert json.loads(text) == [{"name": "sample-website", "imageUri": f"{repo['repositoryUri']}:latest"}]

    groups = aws.elbv2.describe_target_groups(Names=[f"{name}-tg-1", f"{name}-tg-2"])["TargetGroups"]
    pair = {g["TargetGroupName"]: g["TargetGroupArn"] for g in groups}
    balancer = aws.elbv2.describe_load_balancers(Names=[f"{name}-alb"])["LoadBalancers"][0]
    listeners = aws.elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    rules = {}
    for listener in listeners:
        (rule,) = [
            r for r in aws.elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]
        ]
        assert rule["Conditions"][0]["Field"] == "path-pattern"
        forwarded = {g["TargetGroupArn"] for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]}
        assert forwarded == set(pair.values())
        rules[listener["Port"]] = rule["RuleArn"]

    assert trusted_by(aws, f"{name}-ecs-infrastructure", "ecs.amazonaws.com")
    assert attached(aws, f"{name}-ecs-infrastructure") == {"AmazonECSInfrastructureRolePolicyForLoadBalancers"}
    service = aws.ecs.describe_services(cluster=f"{name}-cluster", services=[f"{name}-service"])["services"][0]
    assert service["deploymentController"] == {"type": "ECS"}
    assert service["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert service["deploymentConfiguration"]["bakeTimeInMinutes"] == bake_minutes
    (load_balancer,) = service["loadBalancers"]
    assert load_balancer["targetGroupArn"] == pair[f"{name}-tg-1"]
    assert load_balancer["advancedConfiguration"] == {
        "alternateTargetGroupArn": pair[f"{name}-tg-2"],
        "productionListenerRule": rules[80],
        "testListenerRule": rules[8080],
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{name}-ecs-infrastructure",
    }
    gone(lambda: aws.codedeploy.get_application(applicationName=f"{name}-app"), "ApplicationDoesNotExistException")

    pipeline = aws.codepipeline.get_pipeline(name=f"{name}-pipeline")["pipeline"]
    (deploy,) = pipeline["stages"][-1]["actions"]
    assert deploy["actionTypeId"]["provider"] == "ECS"
    assert deploy["inputArtifacts"] == [{"name": "SourceArtifact"}]
    assert deploy["configuration"] == {
        "ClusterName": f"{name}-cluster",
        "ServiceName": f"{name}-service",
        "FileName": "imagedefinitions.json",
        "DeploymentTimeout": "60",
    }
    return rules, pair


def assert_released_with_ecs(aws, name, rules, pair):
    """The service's current deployment succeeded, and production traffic is all on the group it deployed to."""
    service = aws.ecs.describe_services(cluster=f"{name}-cluster", services=[f"{name}-service"])["services"][0]
    arn = service["currentServiceDeployment"]
    (deployment,) = aws.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
    assert deployment["status"] == "SUCCESSFUL"
    (revision,) = aws.ecs.describe_service_revisions(serviceRevisionArns=[deployment["targetServiceRevision"]["arn"]])[
        "serviceRevisions"
    ]
    new_group = revision["resolvedConfiguration"]["loadBalancers"][0]["targetGroupArn"]
    assert new_group in pair.values()
    for rule_arn in rules.values():
        rule = aws.elbv2.describe_rules(RuleArns=[rule_arn])["Rules"][0]
        weights = {g["TargetGroupArn"]: g["Weight"] for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]}
        assert weights[new_group] == 100 and sum(weights.values()) == 100, weights
    return deployment


def assert_nothing_left_with_ecs(aws, name):
    gone(lambda: aws.iam.get_role(RoleName=f"{name}-ecs-infrastructure"), "NoSuchEntity")
    gone(lambda: aws.elbv2.describe_load_balancers(Names=[f"{name}-alb"]), "LoadBalancerNotFound")
    gone(lambda: aws.codepipeline.get_pipeline(name=f"{name}-pipeline"), "PipelineNotFoundException")
    assert aws.ecs.list_task_definitions(familyPrefix=name, status="ACTIVE")["taskDefinitionArns"] == []
    clusters = aws.ecs.describe_clusters(clusters=[f"{name}-cluster"])["clusters"]
    assert all(cluster["status"] == "INACTIVE" for cluster in clusters)
