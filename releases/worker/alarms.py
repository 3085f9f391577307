"""The deployment group's CloudWatch alarms, read with a refresh: its alarmConfiguration (the group is read again
every GROUP_EVERY) and each alarm's state (cloudwatch:DescribeAlarms), every few seconds while a release moves, since
AWS stops a deployment when one of them is in ALARM, and rarely otherwise. Runs in workers only."""

from datetime import timedelta

from dashboard import aws

GROUP_EVERY = timedelta(minutes=10)
STATES_EVERY = {True: timedelta(seconds=15), False: timedelta(minutes=10)}  # while active, while idle
MAX_NAMES = 100  # DescribeAlarms takes at most 100 names (a deployment group has at most 10 alarms)
STOP_ON_ALARM = "DEPLOYMENT_STOP_ON_ALARM"


def configuration(group):
    """What the console says of a group's alarms, from get_deployment_group's answer."""
    config = group.get("alarmConfiguration") or {}
    rollback = group.get("autoRollbackConfiguration") or {}
    return {
        "enabled": bool(config.get("enabled")),
        "ignore_poll_failure": bool(config.get("ignorePollAlarmFailure")),
        "names": [alarm["name"] for alarm in config.get("alarms") or [] if alarm.get("name")],
        "rollback_on_alarm": bool(rollback.get("enabled")) and STOP_ON_ALARM in (rollback.get("events") or []),
    }


def look(target, now):
    """The target's fields to update with what was read now (nothing when nothing was due). A failed read is kept
    as the alarms' error, shown on the console, and does not fail the refresh."""
    fields = {}
    config = target.alarm_configuration
    if target.group_read_at is None or now - target.group_read_at >= GROUP_EVERY:
        try:
            group = aws.call(
                "codedeploy",
                "get_deployment_group",
                target.connection(),
                applicationName=target.application_name,
                deploymentGroupName=target.deployment_group_name,
            )["deploymentGroupInfo"]
        except aws.AwsError as error:
            if error.retryable:
                return fields  # the next refresh asks again
            return {"alarms_error": f"{error.code}: {error.message}", "group_read_at": now}
        config = configuration(group)
        fields.update(alarm_configuration=config, group_read_at=now)
    names = config.get("names") or []
    if not names:
        return {**fields, "alarm_states": [], "alarms_error": ""} if target.alarm_states else fields
    renamed = [state["name"] for state in target.alarm_states] != names
    due = target.alarms_read_at is None or now - target.alarms_read_at >= STATES_EVERY[target.active]
    if due or renamed:
        fields.update(_states(target, names, now))
    return fields


def _states(target, names, now):
    try:
        answer = aws.call(
            "cloudwatch",
            "describe_alarms",
            target.connection(),
            AlarmNames=names[:MAX_NAMES],
            AlarmTypes=["MetricAlarm", "CompositeAlarm"],
        )
    except aws.AwsError as error:
        return {"alarms_error": f"{error.code}: {error.message}", "alarms_read_at": now}
    found = {a["AlarmName"]: a for a in [*answer.get("MetricAlarms", []), *answer.get("CompositeAlarms", [])]}
    states = []
    for name in names:
        alarm = found.get(name) or {}
        updated = alarm.get("StateUpdatedTimestamp")
        states.append(
            {
                "name": name,
                "state": alarm.get("StateValue", "MISSING"),
                "reason": alarm.get("StateReason", "No such alarm in CloudWatch." if not alarm else ""),
                "updated_at": updated.isoformat() if updated else "",
            }
        )
    return {"alarm_states": states, "alarms_error": "", "alarms_read_at": now}


def changed(target, fields):
    """Whether what the console shows of the alarms differs (not only when they were read)."""
    return any(
        fields[key] != getattr(target, key)
        for key in ("alarm_configuration", "alarm_states", "alarms_error")
        if key in fields
    )
