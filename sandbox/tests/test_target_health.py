"""The unhealthy_image fault and describe_target_health follow the tasks ECS registered (target_health.py)."""

import time

import pytest

from sandbox.faults import FaultError, Faults
from sandbox.task_answer import NORMAL_TEXT
from sandbox.tests.helpers import http_get, local_urls, wait_status
from sandbox.tests.test_load_balancers import deploy, new_revision
from sandbox.tutorial import Tutorial


def health(aws, target_group_arn: str) -> list[dict]:
    found = aws.elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
    return [d["TargetHealth"] for d in found]


@pytest.fixture
def released(aws):
    """The tutorial's service after one deployment of `nginx:v2` (an ECR image) to target-group-2, targets healthy."""
    t = Tutorial(aws, event_rules=False, ready_wait_minutes=None, termination_wait_minutes=0).build(pipeline=False)
    task_definition, digest = new_revision(aws, t, "v2")
    wait_status(aws, deploy(aws, t, task_definition), "Succeeded", step=10)
    aws.sandbox.advance(60)
    t.ids["v2_digest"] = digest
    return t


def test_a_new_target_registers_then_turns_healthy_on_the_sandbox_clock(aws):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    task_set = aws.ecs.describe_services(cluster="my-cluster", services=["my-service"])["services"][0]["taskSets"][0]
    (target,) = aws.elbv2.describe_target_health(TargetGroupArn=t.ids["target-group-1"])["TargetHealthDescriptions"]
    assert target["TargetHealth"] == {
        "State": "initial",
        "Reason": "Elb.RegistrationInProgress",
        "Description": "Target registration is in progress",
    }
    assert target["Target"]["Port"] == 80 and target["HealthCheckPort"] == "80"
    subnets = aws.ec2.describe_subnets(SubnetIds=task_set["networkConfiguration"]["awsvpcConfiguration"]["subnets"])
    assert target["Target"]["AvailabilityZone"] in {s["AvailabilityZone"] for s in subnets["Subnets"]}
    assert health(aws, t.ids["target-group-2"]) == []  # nothing registered there
    aws.sandbox.advance(30)  # the group's HealthCheckIntervalSeconds
    assert health(aws, t.ids["target-group-1"]) == [{"State": "healthy"}]


def test_a_status_fault_answers_5xx_and_fails_health_checks_until_cleared(aws, released):
    url, green = local_urls(aws)[80], released.ids["target-group-2"]
    assert health(aws, green) == [{"State": "healthy"}]
    aws.sandbox.set_fault(kind="unhealthy_image", image="nginx:v2", mode="status", status=503)
    status, _, body = http_get(url + "/health")
    assert (status, body["status"], body["color"]) == (503, "error", "green")
    assert "503" in http_get(url, accept="text/html")[2]
    assert health(aws, green) == [
        {
            "State": "unhealthy",
            "Reason": "Target.ResponseCodeMismatch",
            "Description": "Health checks failed with these codes: [503]",
        }
    ]
    assert health(aws, released.ids["target-group-1"])[0]["State"] == "draining"  # the original, not the image

    aws.sandbox.clear_faults()
    status, _, body = http_get(url)
    assert (status, body["status"]) == (200, "ok")
    assert health(aws, green) == [{"State": "healthy"}]


def test_a_slow_fault_delays_the_answer_and_times_out_health_checks_past_their_timeout(aws, released):
    url, green = local_urls(aws)[80], released.ids["target-group-2"]
    digest = released.ids["v2_digest"]
    aws.sandbox.set_fault(kind="unhealthy_image", image=digest, mode="slow", seconds=0.4)
    started = time.monotonic()
    status, _, body = http_get(url)
    assert time.monotonic() - started >= 0.4
    assert (status, body["status"], body["image_digest"]) == (200, "ok", digest)
    assert health(aws, green) == [{"State": "healthy"}]  # 0.4 s is within the group's 5 s timeout

    aws.sandbox.clear_faults()
    aws.sandbox.set_fault(kind="unhealthy_image", image=digest, mode="slow", seconds=6)
    assert health(aws, green) == [
        {"State": "unhealthy", "Reason": "Target.Timeout", "Description": "Request timed out"}
    ]
    aws.elbv2.modify_target_group(TargetGroupArn=green, HealthCheckTimeoutSeconds=10)
    assert health(aws, green) == [{"State": "healthy"}]


def test_a_wrong_body_answers_200_degraded_and_stays_healthy(aws, released):
    url, green = local_urls(aws)[80], released.ids["target-group-2"]
    assert NORMAL_TEXT in http_get(url, accept="text/html")[2]
    aws.sandbox.set_fault(kind="unhealthy_image", image="dkr.ecr", mode="wrong_body")
    status, _, body = http_get(url)
    assert (status, body["status"], body["color"]) == (200, "degraded", "green")
    status, _, page = http_get(url, accept="text/html")
    assert status == 200 and NORMAL_TEXT not in page
    assert health(aws, green) == [{"State": "healthy"}]  # an ALB health check reads the code only


def test_a_fault_on_another_image_leaves_this_one_alone(aws, released):
    aws.sandbox.set_fault(kind="unhealthy_image", image="nginx:v9", mode="status")
    assert http_get(local_urls(aws)[80])[0] == 200
    assert health(aws, released.ids["target-group-2"]) == [{"State": "healthy"}]


def test_a_new_target_failing_its_checks_stays_initial_then_turns_unhealthy(aws):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    aws.sandbox.set_fault(kind="unhealthy_image", image="nginx", mode="status")
    aws.sandbox.advance(30)
    assert health(aws, t.ids["target-group-1"]) == [
        {"State": "initial", "Reason": "Elb.InitialHealthChecking", "Description": "Initial health checks in progress"}
    ]
    aws.sandbox.advance(30)  # UnhealthyThresholdCount (2) intervals
    assert health(aws, t.ids["target-group-1"])[0]["Reason"] == "Target.ResponseCodeMismatch"


def test_the_original_task_sets_targets_drain_for_the_deregistration_delay(aws, released):
    blue = released.ids["target-group-1"]
    assert health(aws, blue) == [
        {
            "State": "draining",
            "Reason": "Target.DeregistrationInProgress",
            "Description": "Target deregistration is in progress",
        }
    ]
    aws.sandbox.advance(300)  # deregistration_delay.timeout_seconds
    assert health(aws, blue) == []


def test_targets_asked_for_by_id_and_targets_registered_by_hand(aws, released):
    green = released.ids["target-group-2"]
    (task,) = aws.elbv2.describe_target_health(TargetGroupArn=green)["TargetHealthDescriptions"]
    aws.elbv2.register_targets(TargetGroupArn=green, Targets=[{"Id": "172.31.99.9", "Port": 80}])
    ids = [
        d["Target"]["Id"] for d in aws.elbv2.describe_target_health(TargetGroupArn=green)["TargetHealthDescriptions"]
    ]
    assert sorted(ids) == sorted([task["Target"]["Id"], "172.31.99.9"])
    asked = aws.elbv2.describe_target_health(
        TargetGroupArn=green, Targets=[{"Id": task["Target"]["Id"]}, {"Id": "10.9.9.9"}]
    )["TargetHealthDescriptions"]
    assert [(d["Target"]["Id"], d["TargetHealth"]["State"]) for d in asked] == [
        (task["Target"]["Id"], "healthy"),
        ("10.9.9.9", "unused"),
    ]
    with pytest.raises(aws.elbv2.exceptions.TargetGroupNotFoundException):
        aws.elbv2.describe_target_health(TargetGroupArn=green.replace("target-group-2", "missing"))


@pytest.mark.parametrize(
    "spec, error",
    [
        ({"mode": "status"}, "needs image"),
        ({"image": "x", "mode": "broken"}, "mode must be one of"),
        ({"image": "x", "mode": "status", "status": 404}, "5xx"),
        ({"image": "x", "mode": "slow", "seconds": 0}, "seconds"),
        ({"image": "x", "mode": "wrong_body", "seconds": 3}, "slow only"),
        ({"image": "x", "times": 1}, "until cleared"),
    ],
)
def test_an_unhealthy_image_fault_is_refused_with_a_reason(spec, error):
    with pytest.raises(FaultError, match=error):
        Faults().add({"kind": "unhealthy_image", **spec})


def test_an_unhealthy_image_fault_lists_its_fields(aws):
    fault = aws.sandbox.set_fault(kind="unhealthy_image", image="nginx:v2")
    assert fault == {
        "id": fault["id"],
        "kind": "unhealthy_image",
        "times": None,
        "fired": 0,
        "image": "nginx:v2",
        "mode": "status",
        "status": 500,
    }
    slow = aws.sandbox.set_fault(kind="unhealthy_image", image="nginx:v2", mode="slow")
    assert slow["seconds"] == 10.0
