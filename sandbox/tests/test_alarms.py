"""CloudWatch alarms stop deployments and roll them back when configured (alarms.py)."""

import pytest

from sandbox.alarms import POLL_SECONDS
from sandbox.tests.helpers import (
    advance_until,
    deployment,
    forward_weights,
    in_termination_wait,
    primary_task_set,
    task_sets,
    wait_status,
)
from sandbox.tutorial import Tutorial

ALARM = "sample-website-5xx"


def watch_alarm(aws, t: Tutorial, rollback_on_alarm: bool, ignore_poll_failure: bool = False, create: bool = True):
    if create:
        aws.cloudwatch.put_metric_alarm(
            AlarmName=ALARM,
            Namespace="AWS/ApplicationELB",
            MetricName="HTTPCode_Target_5XX_Count",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
    aws.codedeploy.update_deployment_group(
        applicationName=t.application,
        currentDeploymentGroupName=t.group,
        alarmConfiguration={
            "enabled": True,
            "ignorePollAlarmFailure": ignore_poll_failure,
            "alarms": [{"name": ALARM}],
        },
        autoRollbackConfiguration={"enabled": rollback_on_alarm, "events": ["DEPLOYMENT_STOP_ON_ALARM"]},
    )


def set_alarm(aws, state: str) -> None:
    aws.cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue=state, StateReason="sandbox test")


def test_an_alarm_during_the_termination_wait_stops_the_deployment_and_rolls_back(aws):
    t = Tutorial(aws, event_rules=False, ready_wait_minutes=None).build(pipeline=False)
    watch_alarm(aws, t, rollback_on_alarm=True)
    blue = primary_task_set(aws)
    deployment_id = t.create_deployment()
    advance_until(aws, lambda: in_termination_wait(aws, deployment_id), step=10)
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-2": 100}
    aws.sandbox.advance(POLL_SECONDS)  # OK alarms let it wait on
    assert deployment(aws, deployment_id)["status"] == "InProgress"

    set_alarm(aws, "ALARM")
    stopped = wait_status(aws, deployment_id, "Stopped", step=10, limit=POLL_SECONDS)
    assert stopped["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert ALARM in stopped["errorInformation"]["message"]
    rollback_id = stopped["rollbackInfo"]["rollbackDeploymentId"]
    rollback = wait_status(aws, rollback_id, "Succeeded", step=5, limit=120)  # the alarm still fires: not watched
    assert rollback["creator"] == "codeDeployRollback"
    assert forward_weights(aws, t.ids["listener_80"]) == {"target-group-1": 100}
    assert [(ts["id"], ts["status"]) for ts in task_sets(aws)] == [(blue["id"], "PRIMARY")]


def test_an_alarm_without_rollback_stops_the_deployment_and_removes_the_replacement(aws):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    watch_alarm(aws, t, rollback_on_alarm=False)
    deployment_id = t.create_deployment()
    wait_status(aws, deployment_id, "Ready")
    assert forward_weights(aws, t.ids["listener_8080"]) == {"target-group-2": 100}
    set_alarm(aws, "ALARM")
    stopped = wait_status(aws, deployment_id, "Stopped", step=10, limit=POLL_SECONDS)
    assert stopped["errorInformation"]["code"] == "ALARM_ACTIVE" and stopped.get("rollbackInfo") is None
    assert forward_weights(aws, t.ids["listener_8080"]) == {"target-group-1": 100}
    assert len(task_sets(aws)) == 1


def test_an_alarm_already_in_alarm_stops_a_new_deployment_unless_the_deployment_overrides_it(aws):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    watch_alarm(aws, t, rollback_on_alarm=True)
    set_alarm(aws, "ALARM")
    assert aws.sandbox.calls()["cloudwatch"] == {"PutMetricAlarm": 1, "SetAlarmState": 1}  # by boto3's name
    deployment_id = t.create_deployment()
    aws.sandbox.advance(1)
    stopped = deployment(aws, deployment_id)
    assert (stopped["status"], stopped["errorInformation"]["code"]) == ("Stopped", "ALARM_ACTIVE")

    override = {"enabled": False, "ignorePollAlarmFailure": False, "alarms": [{"name": ALARM}]}
    deployment_id = t.create_deployment(overrideAlarmConfiguration=override)
    assert wait_status(aws, deployment_id, "Ready")["overrideAlarmConfiguration"] == override


@pytest.mark.parametrize("ignore_poll_failure", [False, True])
def test_an_alarm_cloudwatch_does_not_know_stops_a_deployment_unless_poll_failures_are_ignored(
    aws, ignore_poll_failure
):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    watch_alarm(aws, t, rollback_on_alarm=False, ignore_poll_failure=ignore_poll_failure, create=False)
    deployment_id = t.create_deployment()
    if ignore_poll_failure:
        wait_status(aws, deployment_id, "Ready")
    else:
        stopped = wait_status(aws, deployment_id, "Stopped", step=1, limit=5)
        assert stopped["errorInformation"]["code"] == "ALARM_ACTIVE" and ALARM in stopped["errorInformation"]["message"]


def test_an_enabled_alarm_configuration_without_alarms_is_refused(aws):
    t = Tutorial(aws, event_rules=False).build(pipeline=False)
    with pytest.raises(aws.codedeploy.exceptions.InvalidAlarmConfigException):
        aws.codedeploy.update_deployment_group(
            applicationName=t.application,
            currentDeploymentGroupName=t.group,
            alarmConfiguration={"enabled": True, "alarms": []},
        )
    with pytest.raises(aws.codedeploy.exceptions.AlarmsLimitExceededException):
        aws.codedeploy.update_deployment_group(
            applicationName=t.application,
            currentDeploymentGroupName=t.group,
            alarmConfiguration={"enabled": True, "alarms": [{"name": f"a{i}"} for i in range(11)]},
        )
