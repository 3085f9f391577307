"""The tutorial's own AWS CLI commands, with its JSON files, against the sandbox."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.tutorial import ACCOUNT_ID, Tutorial

AWS_CLI = str(Path(sys.executable).with_name("aws"))

TASKDEF_JSON = """{
       "executionRoleArn": "arn:aws:iam::account_ID:role/ecsTaskExecutionRole",
       "containerDefinitions": [
           {
               "name": "sample-website",
               "image": "nginx",
               "essential": true,
               "portMappings": [
                   {
                       "hostPort": 80,
                       "protocol": "tcp",
                       "containerPort": 80
                   }
               ]
           }
       ],
       "requiresCompatibilities": [
           "FARGATE"
       ],
       "networkMode": "awsvpc",
       "cpu": "256",
       "memory": "512",
       "family": "ecs-demo"
   }
"""
CREATE_SERVICE_JSON = """{
       "taskDefinition": "family:revision-number",
       "cluster": "my-cluster",
       "loadBalancers": [
           {
               "targetGroupArn": "target-group-arn",
               "containerName": "sample-website",
               "containerPort": 80
           }
       ],
       "desiredCount": 1,
       "launchType": "FARGATE",
       "schedulingStrategy": "REPLICA",
       "deploymentController": {
           "type": "CODE_DEPLOY"
       },
       "networkConfiguration": {
           "awsvpcConfiguration": {
               "subnets": [
                   "subnet-1",
                   "subnet-2"
               ],
               "securityGroups": [
                   "security-group"
               ],
               "assignPublicIp": "ENABLED"
           }
       }
   }
"""


@pytest.fixture
def cli(aws, tmp_path):
    """Run AWS CLI commands (several at once when they do not depend on each other)."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": aws.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    def run(*commands, expect_failure=()):
        processes = [
            subprocess.Popen(
                [AWS_CLI, *args, "--output", "json"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in commands
        ]
        results = []
        for index, process in enumerate(processes):
            out, err = process.communicate(timeout=60)
            if index not in expect_failure:
                assert process.returncode == 0, err
                results.append(json.loads(out) if out.strip() else {})
            else:
                results.append((process.returncode, err))
        return results

    run.path = tmp_path
    return run


def test_the_tutorials_cli_commands_work(aws, cli):
    (cli.path / "taskdef.json").write_text(TASKDEF_JSON.replace("account_ID", ACCOUNT_ID))
    repo, task_def = cli(
        ["ecr", "create-repository", "--repository-name", "nginx"],
        ["ecs", "register-task-definition", "--cli-input-json", "file://taskdef.json"],
    )
    assert repo["repository"]["repositoryUri"].endswith(".dkr.ecr.us-east-1.amazonaws.com/nginx")
    task_def = task_def["taskDefinition"]
    assert (task_def["family"], task_def["revision"]) == ("ecs-demo", 1)

    t = Tutorial(aws)
    t.step3_load_balancer()
    aws.ecs.create_cluster(clusterName="my-cluster")
    # Each placeholder is replaced with its quotes: a subnet id put in for "subnet-1" may itself begin with subnet-2
    # (1 in 16 do), and an unquoted "subnet-2" would then be replaced inside it too.
    create_service = (
        CREATE_SERVICE_JSON.replace('"family:revision-number"', '"ecs-demo:1"')
        .replace('"target-group-arn"', f'"{t.ids["target-group-1"]}"')
        .replace('"subnet-1"', f'"{t.ids["subnets"][0]}"')
        .replace('"subnet-2"', f'"{t.ids["subnets"][1]}"')
        .replace('"security-group"', f'"{t.ids["security_group"]}"')
    )
    (cli.path / "create-service.json").write_text(create_service)
    (service,) = cli(
        ["ecs", "create-service", "--service-name", "my-service", "--cli-input-json", "file://create-service.json"]
    )
    assert service["service"]["deploymentController"] == {"type": "CODE_DEPLOY"}

    t.step5_codedeploy()
    t.ids["task_definition_arn"] = task_def["taskDefinitionArn"]
    deployment_id = t.create_deployment()
    aws.sandbox.advance(60)
    described, info, (returncode, stderr) = cli(
        ["ecs", "describe-services", "--cluster", "my-cluster", "--services", "my-service"],
        ["deploy", "get-deployment", "--deployment-id", deployment_id],
        ["deploy", "get-deployment", "--deployment-id", "d-AAAAAAAAA"],
        expect_failure={2},
    )
    statuses = sorted(ts["status"] for ts in described["services"][0]["taskSets"])
    assert statuses == ["ACTIVE", "PRIMARY"]
    assert (info["deploymentInfo"]["status"], info["deploymentInfo"]["deploymentGroupName"]) == (
        "Ready",
        "codedeploydeplgroup",
    )
    assert returncode != 0 and "DeploymentDoesNotExistException" in stderr
