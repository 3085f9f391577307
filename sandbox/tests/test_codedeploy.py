"""CodeDeploy ECS blue/green deployments: timing, traffic shifting, waits, failures, rollbacks, errors."""

import re

import pytest
from botocore.exceptions import ClientError

from sandbox.tests.helpers import (
    TARGET,
    advance_until,
    deployment,
    event,
    forward_weights,
    in_termination_wait,
    primary_task_set,
    seconds_since,
    target,
    task_sets,
    wait_status,
)
from sandbox.tutorial import Tutorial


def green_weight(aws, deployment_id):
    infos = target(aws, deployment_id)["taskSetsInfo"]
    return next((ts["trafficWeight"] for ts in infos if ts["taskSetLabel"] == "Green"), 0)


def reach_traffic_shift(aws, deployment_id) -> float:
    """Advance until production traffic starts moving; returns the seconds since it started."""
    advance_until(
        aws,
        lambda: deployment(aws, deployment_id)["status"] == "InProgress" and green_weight(aws, deployment_id) > 0,
        step=5,
    )
    return seconds_since(aws, event(aws, deployment_id, "AllowTraffic")["startTime"])


def error_code(caught):
    return caught.value.response["Error"]["Code"]


def test_deployment_ids_look_like_aws_ones_and_start_created(aws):
    t = Tutorial(aws).build(pipeline=False)
    deployment_id = t.create_deployment()
    assert re.fullmatch(r"d-[A-Z0-9]{9}", deployment_id)
    info = deployment(aws, deployment_id)
    assert (info["status"], info["computePlatform"], info["creator"]) == ("Created", "ECS", "user")
    assert info["revision"]["revisionType"] == "AppSpecContent"
    aws.sandbox.advance(1)
    assert deployment(aws, deployment_id)["status"] == "Queued"
    aws.sandbox.advance(1)
    assert deployment(aws, deployment_id)["status"] == "InProgress"


def test_linear_configuration_shifts_ten_percent_every_minute(aws):
    t = Tutorial(aws, ready_wait_minutes=None, deployment_config="CodeDeployDefault.ECSLinear10PercentEvery1Minutes")
    t.build(pipeline=False)
    deployment_id = t.create_deployment()
    reach_traffic_shift(aws, deployment_id)
    seen = []
    for _ in range(10):
        seen.append(green_weight(aws, deployment_id))
        weights = forward_weights(aws, t.ids["listener_80"])
        assert weights.get("target-group-2", 0) == seen[-1]
        aws.sandbox.advance(60)
    assert seen == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-2": 100}


def test_canary_configuration_holds_ten_percent_for_five_minutes(aws):
    t = Tutorial(aws, ready_wait_minutes=None, deployment_config="CodeDeployDefault.ECSCanary10Percent5Minutes")
    t.build(pipeline=False)
    deployment_id = t.create_deployment()
    elapsed = reach_traffic_shift(aws, deployment_id)
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-1": 90, "target-group-2": 10}
    aws.sandbox.advance(299 - elapsed)
    assert green_weight(aws, deployment_id) == 10
    aws.sandbox.advance(1)
    assert green_weight(aws, deployment_id) == 100
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-2": 100}


def test_custom_linear_configuration_is_followed(aws):
    aws.codedeploy.create_deployment_config(
        deploymentConfigName="Linear25Every2",
        computePlatform="ECS",
        trafficRoutingConfig={
            "type": "TimeBasedLinear",
            "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2},
        },
    )
    config = aws.codedeploy.get_deployment_config(deploymentConfigName="Linear25Every2")["deploymentConfigInfo"]
    assert config["trafficRoutingConfig"]["timeBasedLinear"] == {"linearPercentage": 25, "linearInterval": 2}
    t = Tutorial(aws, ready_wait_minutes=None, deployment_config="Linear25Every2").build(pipeline=False)
    deployment_id = t.create_deployment()
    reach_traffic_shift(aws, deployment_id)
    seen = [green_weight(aws, deployment_id)]
    for _ in range(3):
        aws.sandbox.advance(120)
        seen.append(green_weight(aws, deployment_id))
    assert seen == [25, 50, 75, 100]


def test_predefined_ecs_configurations_are_listed_and_described(aws):
    names = aws.codedeploy.list_deployment_configs()["deploymentConfigsList"]
    for name in (
        "CodeDeployDefault.ECSAllAtOnce",
        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
        "CodeDeployDefault.ECSCanary10Percent5Minutes",
        "CodeDeployDefault.ECSCanary10Percent15Minutes",
    ):
        assert name in names
    info = aws.codedeploy.get_deployment_config(deploymentConfigName="CodeDeployDefault.ECSCanary10Percent15Minutes")
    routing = info["deploymentConfigInfo"]["trafficRoutingConfig"]
    assert routing == {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 15}}


def test_ready_wait_timeout_stops_the_deployment_and_removes_the_replacement(aws):
    t = Tutorial(aws, ready_wait_minutes=5).build(pipeline=False)
    deployment_id = t.create_deployment()
    wait_status(aws, deployment_id, "Ready")
    assert len(task_sets(aws)) == 2
    assert forward_weights(aws, t.ids["listener_8080"]) == {"target-group-2": 100}
    aws.sandbox.advance(299 - seconds_since(aws, event(aws, deployment_id, "AfterAllowTestTraffic")["endTime"]))
    assert deployment(aws, deployment_id)["status"] == "Ready"
    aws.sandbox.advance(1)
    info = deployment(aws, deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "TIMEOUT"
    assert len(task_sets(aws)) == 1
    assert forward_weights(aws, t.ids["listener_8080"]) == {"target-group-1": 100}
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert error_code(caught) == "DeploymentAlreadyCompletedException"


def test_termination_wait_ends_by_itself(aws):
    t = Tutorial(aws, ready_wait_minutes=None, termination_wait_minutes=5).build(pipeline=False)
    blue = primary_task_set(aws)
    deployment_id = t.create_deployment()
    advance_until(aws, lambda: in_termination_wait(aws, deployment_id))
    assert deployment(aws, deployment_id)["status"] == "InProgress"
    aws.sandbox.advance(299 - seconds_since(aws, event(aws, deployment_id, "AfterAllowTraffic")["endTime"]))
    assert blue["id"] in [ts["id"] for ts in task_sets(aws)]
    aws.sandbox.advance(1)
    assert blue["id"] not in [ts["id"] for ts in task_sets(aws)]
    wait_status(aws, deployment_id, "Succeeded", limit=30)
    group = aws.codedeploy.get_deployment_group(
        applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup"
    )
    assert group["deploymentGroupInfo"]["lastSuccessfulDeployment"]["deploymentId"] == deployment_id


def test_the_step_time_factor_shortens_the_steps_and_not_the_waits(aws):
    aws.sandbox.configure(step_time_factor=0.1)
    t = Tutorial(aws, ready_wait_minutes=5).build(pipeline=False)
    deployment_id = t.create_deployment()
    aws.sandbox.advance(2.5)  # the steps before the ready wait take 30 s, here a tenth of that
    assert deployment(aws, deployment_id)["status"] == "InProgress"
    aws.sandbox.advance(1)
    assert deployment(aws, deployment_id)["status"] == "Ready"
    install = event(aws, deployment_id, "Install")
    assert (install["endTime"] - install["startTime"]).total_seconds() == pytest.approx(2)
    aws.sandbox.advance(299 - seconds_since(aws, event(aws, deployment_id, "AfterAllowTestTraffic")["endTime"]))
    assert deployment(aws, deployment_id)["status"] == "Ready"  # the ready wait is the group's five minutes
    aws.sandbox.advance(1)
    assert deployment(aws, deployment_id)["status"] == "Stopped"
    aws.sandbox.reset()
    assert aws.sandbox.settings()["step_time_factor"] == 1


def test_continue_is_refused_outside_the_matching_wait(aws):
    t = Tutorial(aws).build(pipeline=False)
    deployment_id = t.create_deployment()
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    assert error_code(caught) == "DeploymentIsNotInReadyStateException"
    wait_status(aws, deployment_id, "Ready")
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    assert error_code(caught) == "DeploymentIsNotInReadyStateException"


def test_lifecycle_failure_fault_fails_the_deployment_and_rolls_back_automatically(aws):
    t = Tutorial(aws, auto_rollback_on_failure=True).build(pipeline=False)
    blue = primary_task_set(aws)
    aws.sandbox.set_fault(
        kind="deployment_failure",
        lifecycle_event="AfterAllowTestTraffic",
        deployment_group="codedeploydeplgroup",
        times=1,
    )
    deployment_id = t.create_deployment()
    info = wait_status(aws, deployment_id, "Failed", limit=120)
    assert info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    events = {e["lifecycleEventName"]: e["status"] for e in target(aws, deployment_id)["lifecycleEvents"]}
    assert events["AllowTestTraffic"] == "Succeeded"
    assert events["AfterAllowTestTraffic"] == "Failed"
    assert events["AllowTraffic"] == "Skipped"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    rollback = wait_status(aws, rollback_id, "Succeeded", limit=120)
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert [ts["id"] for ts in task_sets(aws)] == [blue["id"]]
    assert forward_weights(aws, t.ids["listener_8080"]) == {"target-group-1": 100}
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-1": 100}
    # the fault was for the next deployment only
    second = t.create_deployment()
    assert wait_status(aws, second, "Ready", "Failed")["status"] == "Ready"


def test_failure_without_auto_rollback_leaves_the_original_serving(aws):
    t = Tutorial(aws).build(pipeline=False)
    aws.sandbox.set_fault(kind="deployment_failure", lifecycle_event="Install", message="task failed to start")
    deployment_id = t.create_deployment()
    info = wait_status(aws, deployment_id, "Failed", limit=120)
    assert info["errorInformation"] == {"code": "ECS_UPDATE_ERROR", "message": "task failed to start"}
    assert "rollbackInfo" not in info
    assert len(task_sets(aws)) == 1
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-1": 100}


def test_stop_without_rollback_in_ready_removes_the_replacement(aws):
    t = Tutorial(aws).build(pipeline=False)
    deployment_id = t.create_deployment()
    wait_status(aws, deployment_id, "Ready")
    answer = aws.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=False)
    assert answer["status"] == "Succeeded"
    info = deployment(aws, deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    assert len(task_sets(aws)) == 1
    assert forward_weights(aws, t.ids["listener_8080"]) == {"target-group-1": 100}


def test_one_active_deployment_per_group(aws):
    t = Tutorial(aws).build(pipeline=False)
    t.create_deployment()
    with pytest.raises(ClientError) as caught:
        t.create_deployment()
    assert error_code(caught) == "DeploymentLimitExceededException"


def test_targets_are_not_available_before_the_deployment_starts(aws):
    t = Tutorial(aws).build(pipeline=False)
    deployment_id = t.create_deployment()
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.list_deployment_targets(deploymentId=deployment_id)
    assert error_code(caught) == "DeploymentNotStartedException"
    aws.sandbox.advance(3)
    assert aws.codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == [TARGET]
    batch = aws.codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=[TARGET])
    assert batch["deploymentTargets"][0]["deploymentTargetType"] == "ECSTarget"


def test_list_and_batch_get_deployments(aws):
    t = Tutorial(aws).build(pipeline=False)
    first = t.create_deployment()
    aws.codedeploy.stop_deployment(deploymentId=first)
    second = t.create_deployment()
    listed = aws.codedeploy.list_deployments(applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup")
    assert listed["deployments"] == [first, second]  # oldest first: see test_listing.py
    stopped = aws.codedeploy.list_deployments(
        applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup", includeOnlyStatuses=["Stopped"]
    )
    assert stopped["deployments"] == [first]
    infos = aws.codedeploy.batch_get_deployments(deploymentIds=[first, second])["deploymentsInfo"]
    assert {i["deploymentId"]: i["status"] for i in infos} == {first: "Stopped", second: "Created"}
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.batch_get_deployments(deploymentIds=[first] * 26)
    assert error_code(caught) == "BatchLimitExceededException"


def test_deployment_group_checks_the_service_and_the_role(aws):
    t = Tutorial(aws)
    t.step1_image(push=False)
    t.step2_sources()
    t.step3_load_balancer()
    t.step4_cluster_and_service(create_service=False)
    rolling = {**t.create_service_json(), "deploymentController": {"type": "ECS"}}
    aws.ecs.create_service(serviceName="my-service", **rolling)
    with pytest.raises(ClientError) as caught:
        t.step5_codedeploy()
    assert error_code(caught) == "InvalidECSServiceException"
    aws.iam.create_role(RoleName="NotForCodeDeploy", AssumeRolePolicyDocument='{"Statement": []}')
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.create_deployment_group(
            applicationName="codedeployapp",
            deploymentGroupName="other",
            serviceRoleArn="arn:aws:iam::123456789012:role/NotForCodeDeploy",
        )
    assert error_code(caught) == "InvalidRoleException"


def test_update_and_delete_deployment_group(aws):
    t = Tutorial(aws).build(pipeline=False)
    aws.codedeploy.update_deployment_group(
        applicationName="codedeployapp",
        currentDeploymentGroupName="codedeploydeplgroup",
        newDeploymentGroupName="renamed",
        deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes",
    )
    assert aws.codedeploy.list_deployment_groups(applicationName="codedeployapp")["deploymentGroups"] == ["renamed"]
    info = aws.codedeploy.get_deployment_group(applicationName="codedeployapp", deploymentGroupName="renamed")
    assert info["deploymentGroupInfo"]["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    aws.codedeploy.delete_deployment_group(applicationName="codedeployapp", deploymentGroupName="renamed")
    assert aws.codedeploy.list_deployment_groups(applicationName="codedeployapp")["deploymentGroups"] == []
    aws.codedeploy.delete_application(applicationName="codedeployapp")
    assert aws.codedeploy.list_applications()["applications"] == []
    assert t.ids  # the rest of the tutorial setup is untouched
