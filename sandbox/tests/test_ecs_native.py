"""ECS's own blue/green, driven with nothing but ECS and ELBv2 calls as a release script would: the stages, the
listener rules' weights and the service revisions AWS shows for a release, a stop with rollback and a failed hook."""

from datetime import datetime

import pytest
from botocore.exceptions import ClientError

from sandbox.tests.ecs_native_setup import CLUSTER, SERVICE, BlueGreenService

DONE = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")


def watch(bg, arn, step=1, limit=3600):
    """Advance until the deployment ends; every distinct (status, stage, production rule, test rule) seen, in order."""
    seen = []

    def record(d):
        key = (d["status"], d.get("lifecycleStage"), bg.rule("production"), bg.rule("test"))
        if not seen or seen[-1] != key:
            seen.append(key)
        return d["status"] in DONE

    return bg.wait(arn, record, step=step, limit=limit), seen


def clock(aws) -> datetime:
    return datetime.fromisoformat(aws.sandbox.health()["clock"])


def error(caught):
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_a_release_tests_green_then_moves_production_bakes_and_cleans_up(aws):
    bg = BlueGreenService(aws).build()
    first = bg.settle()
    blue = first["targetServiceRevision"]["arn"]
    assert bg.revision(blue)["resolvedConfiguration"]["loadBalancers"][0]["targetGroupArn"] == bg.ids["blue"]

    arn = bg.release("nginx:2")
    assert bg.deployment(arn)["status"] == "PENDING"
    final, seen = watch(bg, arn)

    stages = [s[1] for s in seen if s[0] == "IN_PROGRESS"]
    assert stages == [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ]
    rules = {stage: (prod, test) for status, stage, prod, test in seen if status == "IN_PROGRESS"}
    assert rules["POST_SCALE_UP"] == ({"blue": 100, "green": 0}, {"blue": 100, "green": 0})
    assert rules["TEST_TRAFFIC_SHIFT"] == ({"blue": 100, "green": 0}, {"blue": 0, "green": 100})
    assert rules["PRODUCTION_TRAFFIC_SHIFT"] == ({"blue": 0, "green": 100}, {"blue": 0, "green": 100})
    assert final["status"] == "SUCCESSFUL" and final["lifecycleStage"] == "CLEAN_UP"
    assert final["createdAt"] < final["startedAt"] < final["finishedAt"] and "stoppedAt" not in final
    green = final["targetServiceRevision"]
    assert (green["requestedTaskCount"], green["runningTaskCount"], green["requestedProductionTrafficWeight"]) == (
        2,
        2,
        100.0,
    )
    assert final["sourceServiceRevisions"][0]["arn"] == blue
    assert final["sourceServiceRevisions"][0]["runningTaskCount"] == 0

    revision = bg.revision(green["arn"])
    assert revision["taskDefinition"].endswith("task-definition/web:2")
    assert revision["containerImages"] == [{"containerName": "web", "image": "nginx:2"}]
    assert revision["resolvedConfiguration"]["loadBalancers"] == [
        {"targetGroupArn": bg.ids["green"], "productionListenerRule": bg.ids["production_rule"]}
    ]
    service = bg.service()
    assert service["taskDefinition"] == revision["taskDefinition"]
    assert [(d["status"], d["rolloutState"]) for d in service["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert service["currentServiceRevisions"] == [
        {"arn": green["arn"], "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0}
    ]
    assert service["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"

    # The target groups swap roles: the next release starts on the group the last one left.
    second = bg.release("nginx:3")
    final, _ = watch(bg, second, step=5)
    assert final["status"] == "SUCCESSFUL"
    assert bg.rule("production") == {"blue": 100, "green": 0} and bg.rule("test") == {"blue": 100, "green": 0}
    target = bg.revision(final["targetServiceRevision"]["arn"])
    assert target["resolvedConfiguration"]["loadBalancers"][0]["targetGroupArn"] == bg.ids["blue"]


def test_bake_time_holds_both_revisions_for_its_minutes_of_sandbox_time(aws):
    bg = BlueGreenService(aws).build(bakeTimeInMinutes=5)
    bg.settle()
    arn = bg.release()
    baking = bg.wait(arn, lambda d: d.get("lifecycleStage") == "BAKE_TIME", step=1)
    started = clock(aws)
    assert baking["sourceServiceRevisions"][0]["runningTaskCount"] == 2  # blue kept while baking
    cleaning = bg.wait(arn, lambda d: d.get("lifecycleStage") == "CLEAN_UP", step=5)
    assert 300 <= (clock(aws) - started).total_seconds() <= 305
    assert cleaning["status"] == "IN_PROGRESS"


def test_stop_with_rollback_puts_production_back_on_blue(aws):
    bg = BlueGreenService(aws).build()
    blue = bg.settle()["targetServiceRevision"]["arn"]
    arn = bg.release()
    bg.wait(arn, lambda d: d.get("lifecycleStage") == "BAKE_TIME")
    assert bg.rule("production") == {"blue": 0, "green": 100}

    assert aws.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")["serviceDeploymentArn"] == arn
    assert bg.deployment(arn)["status"] == "ROLLBACK_REQUESTED"
    assert aws.ecs.stop_service_deployment(serviceDeploymentArn=arn)["serviceDeploymentArn"] == arn  # it goes on
    final, seen = watch(bg, arn)
    assert [s[0] for s in seen] == [
        "ROLLBACK_REQUESTED",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_SUCCESSFUL",
    ]
    assert bg.rule("production") == {"blue": 100, "green": 0} and bg.rule("test") == {"blue": 100, "green": 0}
    assert final["rollback"]["serviceRevisionArn"] == blue
    assert final["rollback"]["reason"] == final["statusReason"]
    assert final["targetServiceRevision"]["runningTaskCount"] == 0 and "finishedAt" in final
    service = bg.service()
    assert service["taskDefinition"].endswith("task-definition/web:1")
    assert [d["status"] for d in service["deployments"]] == ["PRIMARY"]
    assert service["currentServiceRevisions"][0]["arn"] == blue

    with pytest.raises(ClientError) as caught:
        aws.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert error(caught)[0] == "ConflictException"


def test_a_failed_lambda_hook_rolls_back_before_production_moves(aws):
    bg = BlueGreenService(aws).build(lifecycleHooks=[{"lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}])
    bg.settle()
    aws.sandbox.set_fault(kind="ecs_hook", stage="POST_TEST_TRAFFIC_SHIFT", outcome="fail", times=1)
    arn = bg.release()
    hooked = bg.wait(arn, lambda d: d["lifecycleHookDetails"], step=1)
    assert hooked["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    assert [(h["targetType"], h["status"]) for h in hooked["lifecycleHookDetails"]] == [("AWS_LAMBDA", "IN_PROGRESS")]
    final, seen = watch(bg, arn)
    assert all(prod == {"blue": 100, "green": 0} for _, _, prod, _ in seen)  # production never moved
    assert final["status"] == "ROLLBACK_SUCCESSFUL"
    hook = final["lifecycleHookDetails"][0]
    assert hook["status"] == "FAILED" and hook["targetArn"].endswith(":function:smoke-test")
    assert hook["hookId"].startswith("ecs-lambda-") and hook["timeoutAction"] == "ROLLBACK"
    assert "failed at POST_TEST_TRAFFIC_SHIFT" in final["statusReason"]
    assert bg.rule("test") == {"blue": 100, "green": 0}


def test_a_hook_that_answers_in_progress_is_invoked_again_until_it_times_out(aws):
    hook = {"lifecycleStages": ["PRE_SCALE_UP"], "timeoutConfiguration": {"timeoutInMinutes": 2, "action": "CONTINUE"}}
    bg = BlueGreenService(aws).build(lifecycleHooks=[hook])
    aws.sandbox.set_fault(kind="ecs_hook", stage="PRE_SCALE_UP", outcome="wait")
    first = bg.service()["currentServiceDeployment"]
    bg.wait(first, lambda d: d["lifecycleHookDetails"], step=1)
    aws.sandbox.advance(100)
    assert bg.deployment(first)["lifecycleHookDetails"][0]["status"] == "IN_PROGRESS"
    fired = aws.sandbox.faults()[0]["fired"]
    assert fired == 4  # answered IN_PROGRESS at 1 s, 31 s, 61 s, 91 s
    final = bg.wait(first, lambda d: d["status"] in DONE, step=5)
    assert final["lifecycleHookDetails"][0]["status"] == "TIMED_OUT"
    assert final["status"] == "SUCCESSFUL"  # the timeout's action is CONTINUE


def test_a_pause_hook_waits_for_continue_and_can_roll_back(aws):
    pause = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    bg = BlueGreenService(aws).build(lifecycleHooks=[pause])
    first = bg.service()["currentServiceDeployment"]
    paused = bg.wait(first, lambda d: d["lifecycleHookDetails"], step=2)
    detail = paused["lifecycleHookDetails"][0]
    assert (detail["targetType"], detail["status"], detail["timeoutAction"]) == ("PAUSE", "AWAITING_ACTION", "ROLLBACK")
    assert detail["hookId"].startswith("ecs-pause-") and "targetArn" not in detail
    assert (detail["expiresAt"] - paused["updatedAt"]).total_seconds() == 24 * 3600
    aws.sandbox.advance(3600)
    assert bg.deployment(first)["status"] == "IN_PROGRESS"
    aws.ecs.continue_service_deployment(serviceDeploymentArn=first, hookId=detail["hookId"], action="CONTINUE")
    assert bg.wait(first, lambda d: d["status"] in DONE, step=10)["status"] == "SUCCESSFUL"

    with pytest.raises(ClientError) as caught:
        aws.ecs.continue_service_deployment(serviceDeploymentArn=first, hookId=detail["hookId"])
    assert error(caught)[0] == "ClientException"

    arn = bg.release()
    paused = bg.wait(arn, lambda d: d["lifecycleHookDetails"], step=2)
    with pytest.raises(ClientError) as caught:
        aws.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="ecs-pause-nope")
    assert error(caught)[0] == "InvalidParameterException"
    hook_id = paused["lifecycleHookDetails"][0]["hookId"]
    aws.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook_id, action="ROLLBACK")
    final = bg.wait(arn, lambda d: d["status"] in DONE)
    assert final["status"] == "ROLLBACK_SUCCESSFUL" and "ROLLBACK" in final["statusReason"]
    assert bg.rule("test") == {"blue": 100, "green": 0}


def test_linear_moves_production_in_steps_a_step_bake_apart(aws):
    bg = BlueGreenService(aws).build(
        strategy="LINEAR", linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}
    )
    bg.settle()
    arn = bg.release()
    bg.wait(arn, lambda d: d.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT")
    steps = [bg.rule("production")]
    for _ in range(3):
        aws.sandbox.advance(60)
        steps.append(bg.rule("production"))
    assert [s["green"] for s in steps] == [25, 50, 75, 100]
    assert [s["blue"] for s in steps] == [75, 50, 25, 0]
    assert bg.deployment(arn)["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100.0


def test_canary_sends_its_percent_for_its_bake_then_the_rest(aws):
    bg = BlueGreenService(aws).build(
        strategy="CANARY", canaryConfiguration={"canaryPercent": 12.5, "canaryBakeTimeInMinutes": 3}
    )
    bg.settle()
    arn = bg.release()
    shifting = bg.wait(arn, lambda d: d.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT")
    assert bg.rule("production") == {"blue": 875, "green": 125}  # tenths of a percent, out of 1000
    assert shifting["targetServiceRevision"]["requestedProductionTrafficWeight"] == 12.5
    aws.sandbox.advance(170)
    assert bg.rule("production")["green"] == 125
    aws.sandbox.advance(15)
    assert bg.rule("production") == {"blue": 0, "green": 100}


def test_an_alarm_in_alarm_during_bake_time_rolls_back(aws):
    aws.cloudwatch.put_metric_alarm(
        AlarmName="web-5xx",
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
    )
    bg = BlueGreenService(aws).build(alarms={"alarmNames": ["web-5xx"], "enable": True, "rollback": True})
    bg.settle()
    arn = bg.release()
    baking = bg.wait(arn, lambda d: d.get("lifecycleStage") == "BAKE_TIME")
    assert baking["alarms"] == {"status": "MONITORING", "alarmNames": ["web-5xx"], "triggeredAlarmNames": []}
    aws.cloudwatch.set_alarm_state(AlarmName="web-5xx", StateValue="ALARM", StateReason="errors")
    final = bg.wait(arn, lambda d: d["status"] in DONE)
    assert final["status"] == "ROLLBACK_SUCCESSFUL"
    assert final["alarms"] == {"status": "TRIGGERED", "alarmNames": ["web-5xx"], "triggeredAlarmNames": ["web-5xx"]}
    assert bg.rule("production") == {"blue": 100, "green": 0}


def test_the_circuit_breaker_rolls_back_tasks_that_fail_to_start(aws):
    bg = BlueGreenService(aws, desired=8).build(deploymentCircuitBreaker={"enable": True, "rollback": True})
    bg.settle()
    aws.sandbox.set_fault(kind="ecs_task_failure", ecs_service=SERVICE, times=1)
    arn = bg.release()
    scaling = bg.wait(arn, lambda d: d.get("lifecycleStage") == "SCALE_UP")
    assert scaling["deploymentCircuitBreaker"] == {"status": "MONITORING", "failureCount": 0, "threshold": 4}
    during = bg.wait(arn, lambda d: d["status"] == "ROLLBACK_IN_PROGRESS")
    assert during["deploymentCircuitBreaker"] == {"status": "TRIGGERED", "failureCount": 8, "threshold": 4}
    reasons = {d["status"]: (d["rolloutState"], d["rolloutStateReason"]) for d in bg.service()["deployments"]}
    assert reasons["ACTIVE"] == ("FAILED", "ECS deployment circuit breaker: tasks failed to start.")
    assert reasons["PRIMARY"][1].startswith("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/")
    final = bg.wait(arn, lambda d: d["status"] in DONE)
    assert final["status"] == "ROLLBACK_SUCCESSFUL"
    assert final["statusReason"] == "ECS deployment circuit breaker: tasks failed to start."


def test_list_service_deployments_filters_by_status_and_creation_and_pages(aws):
    bg = BlueGreenService(aws).build()
    bg.settle()
    arns = [bg.service()["currentServiceDeployment"]]
    for image in ("nginx:2", "nginx:3"):
        arns.append(bg.release(image))
        watch(bg, arns[-1], step=10)
    running = bg.release("nginx:4")
    listed = aws.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)["serviceDeployments"]
    assert [d["serviceDeploymentArn"] for d in listed] == [*arns, running]  # oldest first
    assert listed[-1]["status"] == "PENDING" and listed[0]["targetServiceRevisionArn"]
    done = aws.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, status=["SUCCESSFUL"])
    assert [d["serviceDeploymentArn"] for d in done["serviceDeployments"]] == arns
    after = listed[1]["createdAt"]
    recent = aws.ecs.list_service_deployments(
        service=f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{SERVICE}",
        cluster=CLUSTER,
        createdAt={"after": after},
    )
    assert [d["serviceDeploymentArn"] for d in recent["serviceDeployments"]] == [arns[1], arns[2], running]
    page = aws.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, maxResults=3)
    rest = aws.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, nextToken=page["nextToken"])
    assert [d["serviceDeploymentArn"] for d in page["serviceDeployments"] + rest["serviceDeployments"]] == [
        *arns,
        running,
    ]
    assert "nextToken" not in rest


def test_wrong_requests_get_aws_errors(aws):
    bg = BlueGreenService(aws).build()
    missing = "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop/web/AAAAAAAAAAAAAAAAAAAAA"
    with pytest.raises(ClientError) as caught:
        aws.ecs.stop_service_deployment(serviceDeploymentArn=missing, stopType="ROLLBACK")
    assert error(caught)[0] == "ServiceDeploymentNotFoundException"
    with pytest.raises(ClientError) as caught:
        aws.ecs.continue_service_deployment(serviceDeploymentArn=missing, hookId="ecs-pause-x")
    assert error(caught)[0] == "ServiceDeploymentNotFoundException"
    found = aws.ecs.describe_service_deployments(serviceDeploymentArns=[missing])
    assert found["serviceDeployments"] == [] and found["failures"] == [{"arn": missing, "reason": "MISSING"}]
    with pytest.raises(ClientError) as caught:
        aws.ecs.describe_service_revisions(serviceRevisionArns=[f"{missing}{n}" for n in range(21)])
    assert error(caught)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as caught:
        aws.ecs.list_service_deployments(cluster=CLUSTER, service="nope")
    assert error(caught)[0] == "ServiceNotFoundException"
    with pytest.raises(ClientError) as caught:
        aws.ecs.list_service_deployments(cluster="nope", service=SERVICE)
    assert error(caught)[0] == "ClusterNotFoundException"
    with pytest.raises(ClientError) as caught:
        aws.ecs.stop_service_deployment(serviceDeploymentArn=bg.service()["currentServiceDeployment"], stopType="ABORT")
    assert error(caught)[0] == "InvalidParameterException"
    pause_on_traffic = {"targetType": "PAUSE", "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"]}
    with pytest.raises(ClientError) as caught:
        aws.ecs.update_service(
            cluster=CLUSTER, service=SERVICE, deploymentConfiguration={"lifecycleHooks": [pause_on_traffic]}
        )
    assert error(caught) == (
        "InvalidParameterException",
        "PAUSE hooks cannot be configured at the PRODUCTION_TRAFFIC_SHIFT stage; only AWS_LAMBDA hooks can.",
    )
    with pytest.raises(ClientError) as caught:
        aws.ecs.create_service(
            cluster=CLUSTER,
            serviceName="plain",
            taskDefinition=bg.ids["taskdef_1"],
            desiredCount=1,
            deploymentConfiguration={"strategy": "BLUE_GREEN"},
            loadBalancers=[{"targetGroupArn": bg.ids["blue"], "containerName": "web", "containerPort": 80}],
        )
    assert error(caught)[0] == "InvalidParameterException"
    assert aws.ecs.describe_services(cluster=CLUSTER, services=["plain"])["failures"][0]["reason"] == "MISSING"
