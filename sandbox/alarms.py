"""CloudWatch alarms that stop deployments, as CodeDeploy does.

When a deployment's alarm configuration (the deployment group's `alarmConfiguration`, or the deployment's
`overrideAlarmConfiguration`) is enabled, CodeDeploy polls the alarms' states in CloudWatch (moto's: `put_metric_alarm`,
`set_alarm_state`) while the deployment runs, from its creation until it ends, the termination wait included (the
deployment is still `InProgress` then). An alarm in `ALARM` stops it (`Stopped`, error code `ALARM_ACTIVE`); it rolls
back when its `autoRollbackConfiguration` has `DEPLOYMENT_STOP_ON_ALARM`. An alarm CloudWatch does not know stops it
too, unless `ignorePollAlarmFailure` is true. Sources: CodeDeploy user guide, "Monitoring deployments with CloudWatch
alarms in CodeDeploy" ("If any of the specified alarms are activated, the deployment stops, and the status is updated
to Stopped") and "Configure advanced options for a deployment group" (roll back when alarm thresholds are met);
API reference, `AlarmConfiguration` (`ignorePollAlarmFailure`), `ErrorInformation` (`ALARM_ACTIVE`),
`AutoRollbackConfiguration` (`DEPLOYMENT_STOP_ON_ALARM`). AWS documents no poll interval (ours: `POLL_SECONDS`) and
no message (ours: `ACTIVE_MESSAGE`).
"""

from datetime import timedelta

from sandbox.api import AwsErrorResponse
from sandbox.aws import ClientError

POLL_SECONDS = 60
MAX_ALARMS = 10  # botocore's AlarmsLimitExceededException: "The maximum number of alarms for a deployment group (10)"
ACTIVE_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the "
    "affected deployments have been stopped. Activated alarms: {}"
)
UNKNOWN_MESSAGE = "The state of these alarms could not be retrieved from Amazon CloudWatch: {}"


def check_configuration(configuration: dict) -> None:
    """Refuse an alarm configuration as AWS does (botocore: InvalidAlarmConfigException's possible causes)."""
    alarms = configuration.get("alarms") or []
    names = [alarm.get("name") if isinstance(alarm, dict) else None for alarm in alarms]
    if any(not name or len(name) > 255 for name in names) or len(set(names)) != len(names):
        raise AwsErrorResponse(
            "InvalidAlarmConfigException", "Each alarm needs a name of 1 to 255 characters, and names must differ."
        )
    if configuration.get("enabled") and not alarms:
        raise AwsErrorResponse(
            "InvalidAlarmConfigException", "The alarm configuration is enabled, but the alarm list is empty."
        )
    if len(alarms) > MAX_ALARMS:
        raise AwsErrorResponse(
            "AlarmsLimitExceededException",
            f"The maximum number of alarms for a deployment group ({MAX_ALARMS}) was exceeded.",
        )


def watched(configuration: dict | None) -> bool:
    return bool(configuration and configuration.get("enabled") and configuration.get("alarms"))


class AlarmPoll:
    """The scheduler's view of one deployment's alarm polling (a process with `wake_at`, see World.run_due)."""

    def __init__(self, deployment):
        self.deployment = deployment
        self.rs = deployment.rs
        self.seq = deployment.seq

    @property
    def wake_at(self):
        deployment = self.deployment
        return deployment.alarm_poll_at if deployment.active else None

    def resume(self) -> None:
        pass

    def wake(self) -> None:
        deployment = self.deployment
        deployment.alarm_poll_at = None
        if not deployment.active or deployment.blue_deleted:  # nothing left to roll back to
            return
        configuration = deployment.alarm_configuration
        names = [alarm["name"] for alarm in configuration.get("alarms") or []]
        states = _states(deployment.rs.aws.client("cloudwatch"), names)
        active = [name for name in names if states.get(name) == "ALARM"]
        unknown = [name for name in names if name not in states]
        if active:
            deployment.stop_on_alarm(ACTIVE_MESSAGE.format(", ".join(active)))
        elif unknown and not configuration.get("ignorePollAlarmFailure"):
            deployment.stop_on_alarm(UNKNOWN_MESSAGE.format(", ".join(unknown)))
        else:
            deployment.alarm_poll_at = deployment.now + timedelta(seconds=POLL_SECONDS)


def _states(cloudwatch, names: list[str]) -> dict[str, str]:
    """Alarm name -> StateValue for the alarms CloudWatch knows (none when CloudWatch cannot be asked)."""
    try:
        found = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    except ClientError:
        return {}
    return {a["AlarmName"]: a["StateValue"] for a in found.get("MetricAlarms", []) + found.get("CompositeAlarms", [])}


def polls(deployments):
    """The alarm polls of the deployments that have one due."""
    for deployment in deployments:
        if getattr(deployment, "alarm_poll_at", None) is not None and deployment.active:
            yield AlarmPoll(deployment)
