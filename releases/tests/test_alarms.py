"""The deployment group's CloudWatch alarms on the console: read with the group, their states read through
cloudwatch:DescribeAlarms often while a release moves and rarely when idle, shown with what AWS does on ALARM."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from releases.tests.conftest import poll_until, put_alarm
from releases.worker import alarms, polling

ALARMS = ("shop-5xx", "shop-latency")


@pytest.fixture
def watched(boto, tutorial):
    """The tutorial's deployment group stopping (and rolling back) its deployments on two alarms, one of them gone
    from CloudWatch."""
    put_alarm(boto, ALARMS[0])
    boto.codedeploy.update_deployment_group(
        applicationName=tutorial.application,
        currentDeploymentGroupName=tutorial.group,
        alarmConfiguration={"enabled": True, "alarms": [{"name": name} for name in ALARMS]},
        autoRollbackConfiguration={
            "enabled": True,
            "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
        },
    )
    return tutorial


def describe_calls(sandbox):
    return sandbox.calls().get("cloudwatch", {}).get("DescribeAlarms", 0)


def test_the_console_shows_each_alarm_with_its_state_and_that_aws_stops_on_alarm(
    watched, tracked, boto, sandbox, client_for, viewer
):
    assert tracked.alarm_configuration == {
        "enabled": True,
        "ignore_poll_failure": False,
        "names": list(ALARMS),
        "rollback_on_alarm": True,
    }
    states = {state["name"]: state["state"] for state in tracked.alarm_states}
    assert states == {ALARMS[0]: "INSUFFICIENT_DATA", ALARMS[1]: "MISSING"}

    boto.cloudwatch.set_alarm_state(AlarmName=ALARMS[0], StateValue="ALARM", StateReason="5xx above 1 for 1 minute")
    calls = describe_calls(sandbox)
    polling.refresh(tracked.pk)  # idle: the states were read a moment ago, and are not asked for again yet
    assert describe_calls(sandbox) == calls
    tracked.refresh_from_db()
    tracked.__class__.objects.filter(pk=tracked.pk).update(
        alarms_read_at=tracked.alarms_read_at - alarms.STATES_EVERY[False]
    )
    polling.refresh(tracked.pk)
    assert describe_calls(sandbox) == calls + 1

    page = client_for(viewer).get(tracked.get_absolute_url()).content.decode()
    assert (
        "AWS stops the deployment when one of these is in ALARM, and rolls it back (DEPLOYMENT_STOP_ON_ALARM). "
        "If AWS cannot read them, it stops the deployment too." in page
    )
    assert f'data-alarm="{ALARMS[0]}" data-state="ALARM"' in page and "5xx above 1 for 1 minute" in page
    assert f'data-alarm="{ALARMS[1]}" data-state="MISSING"' in page and "No such alarm in CloudWatch." in page


def test_states_are_read_every_few_seconds_while_a_release_moves(watched, tracked, tutorial, boto, sandbox):
    tutorial.push_image()
    target = poll_until(sandbox, tracked, lambda t: t.active, what="the release to start")
    read_at = target.alarms_read_at
    boto.cloudwatch.set_alarm_state(AlarmName=ALARMS[0], StateValue="OK", StateReason="back to normal")
    target.__class__.objects.filter(pk=target.pk).update(alarms_read_at=read_at - alarms.STATES_EVERY[True])
    polling.refresh(target.pk)
    target.refresh_from_db()
    assert target.alarm_states[0]["state"] == "OK" and target.alarms_read_at > read_at
    assert alarms.STATES_EVERY[True] <= timedelta(seconds=15)


def test_a_group_without_alarms_costs_no_cloudwatch_call(tracked, sandbox, client_for, viewer):
    for _ in range(3):
        polling.refresh(tracked.pk)
    assert describe_calls(sandbox) == 0
    assert 'id="alarms"' not in client_for(viewer).get(tracked.get_absolute_url()).content.decode()


def test_the_console_policy_allows_describing_alarms(capsys):
    call_command("iam_policy", "--console")
    assert "cloudwatch:DescribeAlarms" in capsys.readouterr().out


def test_an_alarm_going_off_stops_the_release_and_the_console_shows_why(
    watched, tracked, tutorial, boto, sandbox, client_for, viewer
):
    put_alarm(boto, ALARMS[1])  # both known to CloudWatch: an unknown one would stop the deployment by itself
    tutorial.push_image()
    target = poll_until(sandbox, tracked, lambda t: t.active, what="the release to start")
    boto.cloudwatch.set_alarm_state(AlarmName=ALARMS[1], StateValue="ALARM", StateReason="p99 above 2 s")
    target = poll_until(
        sandbox, target, lambda t: t.deployments.filter(status="Stopped").exists(), timeout=60, what="AWS to stop it"
    )
    target.__class__.objects.filter(pk=target.pk).update(alarms_read_at=None)
    polling.refresh(target.pk)
    page = client_for(viewer).get(target.get_absolute_url()).content.decode()
    assert "ALARM_ACTIVE" in page
    assert f'data-alarm="{ALARMS[1]}" data-state="ALARM"' in page and "p99 above 2 s" in page
