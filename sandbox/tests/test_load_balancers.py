"""Load balancer listeners answer on local ports as the ECS task set they route to (load_balancers.py)."""

import json
import socket
from collections import Counter

import pytest

from sandbox.task_answer import NORMAL_TEXT
from sandbox.tests.helpers import (
    advance_until,
    forward_weights,
    http_get,
    in_termination_wait,
    local_urls,
    primary_task_set,
    task_sets,
    wait_status,
)
from sandbox.tutorial import TASKDEF, Tutorial


def new_revision(aws, t: Tutorial, tag: str) -> tuple[str, str]:
    """Push an image under `tag` and register the task definition naming it by tag: (task definition ARN, digest)."""
    digest = t.push_image(f"nginx:{tag}", tag=tag)
    container = {**TASKDEF["containerDefinitions"][0], "image": f"{t.ids['repository_uri']}:{tag}"}
    registered = aws.ecs.register_task_definition(**{**TASKDEF, "containerDefinitions": [container]})
    return registered["taskDefinition"]["taskDefinitionArn"], digest


def deploy(aws, t: Tutorial, task_definition_arn: str) -> str:
    revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": t.appspec(task_definition_arn)}}
    return aws.codedeploy.create_deployment(
        applicationName=t.application, deploymentGroupName=t.group, revision=revision
    )["deploymentId"]


def colours(url: str, n: int) -> Counter:
    return Counter(http_get(url)[2]["color"] for _ in range(n))


@pytest.fixture
def half_then_all(aws):
    """A deployment config that sends half the production traffic to the replacement for five minutes."""
    canary = {"canaryPercentage": 50, "canaryInterval": 5}
    aws.codedeploy.create_deployment_config(
        deploymentConfigName="HalfThenAll",
        computePlatform="ECS",
        trafficRoutingConfig={"type": "TimeBasedCanary", "timeBasedCanary": canary},
    )
    return "HalfThenAll"


def test_the_production_listener_answers_blue_then_a_weighted_mix_then_green(aws, half_then_all):
    t = Tutorial(aws, event_rules=False, deployment_config=half_then_all).build(pipeline=False)
    urls = local_urls(aws)
    status, headers, before = http_get(urls[80] + "/health")
    assert (status, headers["Server"]) == (200, "nginx")
    assert before == {
        "status": "ok",
        "color": "blue",
        "image": "nginx",
        "image_digest": None,  # not an ECR image
        "task_definition": t.ids["task_definition_arn"],
        "revision": 1,
        "task_set": primary_task_set(aws)["id"],
        "target_group": "target-group-1",
        "load_balancer": "my-alb",
        "listener_port": 80,
    }
    status, headers, _ = http_get(urls[8080])
    assert (status, headers["Server"]) == (503, "awselb/2.0")  # the ALB itself: no task behind target-group-2

    task_definition, digest = new_revision(aws, t, "v2")
    deployment_id = deploy(aws, t, task_definition)
    wait_status(aws, deployment_id, "Ready")
    green = next(ts for ts in task_sets(aws) if ts["externalId"] == deployment_id)
    _, _, test = http_get(urls[8080] + "/any/path?x=1")
    assert test == {
        "status": "ok",
        "color": "green",
        "image": f"{t.ids['repository_uri']}:v2",
        "image_digest": digest,
        "task_definition": task_definition,
        "revision": 2,
        "task_set": green["id"],
        "target_group": "target-group-2",
        "load_balancer": "my-alb",
        "listener_port": 8080,
    }
    ecr = aws.ecr.describe_images(repositoryName="nginx", imageIds=[{"imageTag": "v2"}])["imageDetails"][0]
    assert test["image_digest"] == ecr["imageDigest"]
    assert colours(urls[80], 5) == {"blue": 5}

    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    advance_until(
        aws, lambda: forward_weights(aws, t.ids["listener_80"]) == {"target-group-1": 50, "target-group-2": 50}
    )
    mix = colours(urls[80], 60)
    assert 10 <= mix["blue"] <= 50 and mix["blue"] + mix["green"] == 60

    advance_until(aws, lambda: in_termination_wait(aws, deployment_id), step=30)
    assert colours(urls[80], 10) == {"green": 10}
    status, headers, page = http_get(urls[80], accept="text/html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "green" in page and NORMAL_TEXT in page and digest in page and "ecs-demo:2" in page


def test_rules_route_by_path_and_host_before_the_default_action(aws):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    task_definition, _ = new_revision(aws, t, "v2")
    wait_status(aws, deploy(aws, t, task_definition), "Ready")  # green runs behind target-group-2
    prod = t.ids["listener_80"]
    aws.elbv2.create_rule(
        ListenerArn=prod,
        Priority=20,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["preview.*.example.com"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": t.ids["target-group-2"]}],
    )
    aws.elbv2.create_rule(
        ListenerArn=prod,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/maintenance*"]}}],
        Actions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "down"},
            }
        ],
    )
    url = local_urls(aws)[80]
    assert http_get(url + "/", host="PREVIEW.shop.example.com")[2]["color"] == "green"  # host names: any case
    assert http_get(url + "/maintenance/now", host="preview.shop.example.com")[::2] == (503, "down")  # priority 10
    assert http_get(url + "/Maintenance")[2]["color"] == "blue"  # paths are case-sensitive
    assert http_get(url + "/", host="preview.example.com")[2]["color"] == "blue"


def refused(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) != 0


def test_ports_close_with_their_listener_and_load_balancer(aws):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    urls = local_urls(aws)
    assert len(set(urls.values())) == 2 and not any(refused(u) for u in urls.values())

    aws.elbv2.delete_listener(ListenerArn=t.ids["listener_8080"])
    assert refused(urls[8080]) and not refused(urls[80])
    assert local_urls(aws) == {80: urls[80]}

    aws.elbv2.delete_load_balancer(LoadBalancerArn=t.load_balancer_arn)
    assert refused(urls[80])
    assert aws.sandbox.load_balancers() == []


def test_load_balancers_of_any_account_and_region_are_listed_and_served(aws, sandbox):
    from sandbox.testing import SandboxClients

    other = SandboxClients(sandbox, region="eu-west-1", credentials=sandbox.account_credentials("222222222222"))
    subnets = [s["SubnetId"] for s in other.ec2.describe_subnets()["Subnets"][:2]]
    lb = other.elbv2.create_load_balancer(Name="shop", Subnets=subnets)["LoadBalancers"][0]
    vpc = lb["VpcId"]
    group = other.elbv2.create_target_group(Name="shop-blue", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    other.elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}],
    )
    (listed,) = aws.sandbox.load_balancers()
    assert {k: listed[k] for k in ("account", "region", "load_balancer_name", "dns_name")} == {
        "account": "222222222222",
        "region": "eu-west-1",
        "load_balancer_name": "shop",
        "dns_name": lb["DNSName"],
    }
    (listener,) = listed["listeners"]
    assert (listener["port"], listener["protocol"]) == (443, "HTTP")
    assert listener["local_url"].startswith("http://127.0.0.1:")
    status, _, body = http_get(listener["local_url"])
    assert status == 503 and "503 Service Temporarily Unavailable" in body
    json.dumps(listed)  # plain JSON all through
