"""A CodeDeploy ECS blue/green deployment as a state machine on the sandbox clock.

The lifecycle reads top to bottom in AWS's order (`_lifecycle`); it is a generator that yields
how long to wait, and the scheduler resumes it when that time has come (or when an operator
continues it). Side effects go through the public ECS and ELBv2 APIs of the moto part.
"""

import hashlib
import itertools
import json
import logging
import math
import secrets
import string
from datetime import datetime, timedelta

import yaml

from sandbox import alarms
from sandbox.api import AwsErrorResponse
from sandbox.aws import ClientError
from sandbox.faults import LIFECYCLE_EVENTS

log = logging.getLogger("sandbox")
ACTIVE = ("Created", "Queued", "InProgress", "Ready", "Baking")
DONE = ("Succeeded", "Failed", "Stopped")
HOOK_EVENTS = {"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}
# Sandbox seconds each step takes (hooks run no Lambda functions: they succeed after a second).
QUEUE_SECONDS = 1
START_SECONDS = 1
EVENT_SECONDS = {"Install": 20, "AllowTestTraffic": 5}
# AllowTraffic goes on this long after its last shift (the listener change settling): AWS documents no duration, and
# a shift that is over in an instant would not show at all, even with AllAtOnce. Each phase shows for 3-20 s.
ALLOW_TRAFFIC_SETTLE_SECONDS = 5
HOOK_SECONDS = 1
TERMINATION_SECONDS = 5

_seq = itertools.count()


def new_deployment_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "d-" + "".join(secrets.choice(alphabet) for _ in range(9))


class DeploymentFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def shift_schedule(routing: dict | None) -> list[tuple[int, int]]:
    """(seconds after AllowTraffic starts, percent of production traffic on the replacement)."""
    routing = routing or {"type": "AllAtOnce"}
    if routing.get("type") == "TimeBasedCanary":
        canary = routing["timeBasedCanary"]
        return [(0, int(canary["canaryPercentage"])), (int(canary["canaryInterval"]) * 60, 100)]
    if routing.get("type") == "TimeBasedLinear":
        linear = routing["timeBasedLinear"]
        step, interval = int(linear["linearPercentage"]), int(linear["linearInterval"]) * 60
        return [(k * interval, min(100, (k + 1) * step)) for k in range(math.ceil(100 / step))]
    return [(0, 100)]


def parse_appspec(content: str) -> dict:
    """The ECS TargetService properties and hooks of an AppSpec (YAML or JSON)."""
    try:
        spec = json.loads(content)
    except ValueError:
        try:
            spec = yaml.safe_load(content)
        except yaml.YAMLError as exc:
            raise AwsErrorResponse(
                "InvalidRevisionException", f"The AppSpec file is not valid YAML or JSON: {exc}"
            ) from exc
    if not isinstance(spec, dict):
        raise AwsErrorResponse("InvalidRevisionException", "The AppSpec file must be a YAML or JSON object")
    resources = spec.get("Resources") or []
    target = None
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and isinstance(resource.get("TargetService"), dict):
            target = resource["TargetService"]
    if target is None or target.get("Type") != "AWS::ECS::Service":
        raise AwsErrorResponse(
            "InvalidRevisionException", "The AppSpec file must have a TargetService of Type AWS::ECS::Service"
        )
    props = target.get("Properties") or {}
    lb = props.get("LoadBalancerInfo") or {}
    if not props.get("TaskDefinition") or not lb.get("ContainerName") or not lb.get("ContainerPort"):
        raise AwsErrorResponse(
            "InvalidRevisionException",
            "The AppSpec file must set TaskDefinition and LoadBalancerInfo.ContainerName/ContainerPort",
        )
    hooks = {}
    for hook in spec.get("Hooks") or []:
        if isinstance(hook, dict):
            hooks.update(hook)
    return {
        "task_definition": str(props["TaskDefinition"]),
        "container_name": str(lb["ContainerName"]),
        "container_port": int(lb["ContainerPort"]),
        "platform_version": props.get("PlatformVersion"),
        "network": props.get("NetworkConfiguration"),
        "capacity_providers": props.get("CapacityProviderStrategy"),
        "hooks": hooks,
    }


def _network(appspec_network: dict | None, service: dict) -> dict | None:
    if not appspec_network:
        return service.get("networkConfiguration")
    conf = appspec_network.get("AwsvpcConfiguration") or appspec_network.get("awsvpcConfiguration") or {}
    out = {"subnets": conf.get("Subnets") or conf.get("subnets") or []}
    groups = conf.get("SecurityGroups") or conf.get("securityGroups")
    if groups:
        out["securityGroups"] = groups
    public = conf.get("AssignPublicIp") or conf.get("assignPublicIp")
    if public:
        out["assignPublicIp"] = public
    return {"awsvpcConfiguration": out}


def revision_sha256(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


class Deployment:
    # defaults for deployments saved before alarms were polled (persistence.py)
    override_alarms: dict | None = None
    alarm_configuration: dict = {}  # noqa: RUF012 - read only
    alarm_poll_at: datetime | None = None

    def __init__(
        self,
        rs,
        *,
        application: str,
        group: dict,
        config: dict,
        revision: dict,
        appspec: dict | None,
        creator: str = "user",
        description: str | None = None,
        auto_rollback: dict | None = None,
        previous_revision: dict | None = None,
        rollback_of: "Deployment | None" = None,
        override_alarms: dict | None = None,
    ):
        self.rs = rs
        self.seq = next(_seq)
        self.id = new_deployment_id()
        self.application = application
        self.group = group  # a snapshot of the deployment group when the deployment was created
        self.config = config
        self.revision = revision
        self.previous_revision = previous_revision
        self.appspec = appspec
        self.creator = creator
        self.description = description
        self.auto_rollback = auto_rollback if auto_rollback is not None else group.get("autoRollbackConfiguration")
        self.rollback_of = rollback_of
        self.override_alarms = override_alarms
        self.alarm_configuration = override_alarms or group.get("alarmConfiguration") or {}
        # a rollback is not stopped by the alarm that may have caused it
        watched = alarms.watched(self.alarm_configuration) and not rollback_of
        self.alarm_poll_at: datetime | None = rs.now() if watched else None
        self.rollback_info: dict | None = None
        self.status = "Created"
        self.error: dict | None = None
        self.create_time = rs.now()
        self.start_time: datetime | None = None
        self.complete_time: datetime | None = None
        self.target_status = "Pending"
        self.target_updated = self.create_time
        self.status_messages: list[str] = []
        self.events = {name: {"lifecycleEventName": name, "status": "Pending"} for name in LIFECYCLE_EVENTS}
        faults = rs.world.faults
        self.fault = None if rollback_of else faults.take_deployment_failure(application, group["name"])
        self.hold = (
            None if rollback_of else faults.take_deployment_failure(application, group["name"], "deployment_hold")
        )
        # what the deployment has done so far
        self.blue: dict | None = None  # {"arn", "id", "target_group_arn", "target_group_name"}
        self.green: dict | None = None
        self.green_weight = 0.0
        self.green_running = False
        self.blue_deleted = False
        self.prod_listeners: list[str] = []
        self.test_listeners: list[str] = []
        self.test_moved = False
        # operator requests
        self._continue = {"READY_WAIT": False, "TERMINATION_WAIT": False}
        self.waiting_for: str | None = None
        self.ready_deadline: datetime | None = None
        self.termination_deadline: datetime | None = None
        queued_after = self._step(QUEUE_SECONDS) + self._held("Created")
        self.wake_at: datetime | None = self.create_time + timedelta(seconds=queued_after)
        self._run = self._rollback_lifecycle() if rollback_of else self._lifecycle()
        self._stepping = False

    # ---- the scheduler's side ----------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.rs.now()

    def resume(self) -> None:
        """After a restart (persistence.py): a new lifecycle that skips what is done and goes on from there.

        Every step of the lifecycle reads what it has done from the deployment's own state, so the first wake
        of the new generator does what the old one would have done at that wake."""
        self._stepping = False
        if not self.active:
            self._run = iter(())
        else:
            self._run = self._rollback_lifecycle() if self.rollback_of else self._lifecycle()

    def wake(self) -> None:
        self.wake_at = None
        self._stepping = True
        try:
            wait = next(self._run)
        except StopIteration:
            return
        except DeploymentFailed as failure:
            self._failed(failure)
            return
        except ClientError as exc:
            self._failed(DeploymentFailed("ECS_UPDATE_ERROR", str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - a sandbox bug fails this deployment, not the scheduler
            log.exception("deployment %s failed in the sandbox", self.id)
            self._failed(DeploymentFailed("INTERNAL_ERROR", f"sandbox error: {exc}"))
            return
        finally:
            self._stepping = False
        if isinstance(wait, datetime):
            self.wake_at = wait
        elif wait is not None:
            self.wake_at = self.now + timedelta(seconds=wait)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def _step(self, seconds: float) -> float:
        return self.rs.world.settings.step_seconds(seconds)

    def _held(self, status: str) -> float:
        return float(self.hold.seconds) if self.hold and self.hold.status == status else 0.0

    # ---- the lifecycle -------------------------------------------------------------------------

    def _lifecycle(self):
        if self.start_time is None:
            if self.status == "Created":
                self.status = "Queued"
                yield self._step(START_SECONDS) + self._held("Queued")
            self.status = "InProgress"
            self.start_time = self.now
            self._target("InProgress")

        yield from self._event("BeforeInstall", HOOK_SECONDS)
        yield from self._event("Install", EVENT_SECONDS["Install"], self._install, after=self._tasks_running)
        yield from self._event("AfterInstall", HOOK_SECONDS)
        if self.test_listeners:
            yield from self._event("AllowTestTraffic", EVENT_SECONDS["AllowTestTraffic"], self._allow_test_traffic)
        elif self.events["AllowTestTraffic"]["status"] == "Pending":
            self._skip("AllowTestTraffic")
        yield from self._event("AfterAllowTestTraffic", HOOK_SECONDS)

        ready = (self.group.get("blueGreenDeploymentConfiguration") or {}).get("deploymentReadyOption") or {}
        rerouted = self.events["BeforeAllowTraffic"]["status"] != "Pending"
        if ready.get("actionOnTimeout") == "STOP_DEPLOYMENT" and not rerouted:
            if self.ready_deadline is None:
                self.ready_deadline = self.now + timedelta(minutes=int(ready.get("waitTimeInMinutes") or 0))
                self.status = "Ready"
                self._target("Ready")
                self.waiting_for = "READY_WAIT"
                self.status_messages = [
                    f"Waiting for a manual reroute of production traffic until {self.ready_deadline.isoformat()}"
                ]
            deadline = self.ready_deadline
            while not self._continue["READY_WAIT"]:
                if self.now >= deadline:
                    self.waiting_for = None
                    self._end_without_rollback(
                        "Stopped",
                        {"code": "TIMEOUT", "message": "The deployment timed out waiting for traffic to be rerouted."},
                    )
                    return
                yield deadline
            self.waiting_for = None
            self.status_messages = []
            self.status = "InProgress"
            self._target("InProgress")

        yield from self._event("BeforeAllowTraffic", HOOK_SECONDS)
        yield from self._allow_traffic()
        yield from self._event("AfterAllowTraffic", HOOK_SECONDS)

        yield from self._termination_wait()
        self._finish("Succeeded")

    def _event(self, name: str, seconds: float, action=None, after=None):
        event = self.events[name]
        if event["status"] in ("Succeeded", "Skipped"):  # done before a restart
            return
        if event["status"] != "InProgress":  # (InProgress: resumed after a restart; its action ran, its time is up)
            event.update(status="InProgress", startTime=self.now)
            self._target(self.target_status)
            if action:
                action()
            yield self._step(seconds)
        if after:
            after()
        if self.fault and self.fault.lifecycle_event == name:
            code = "HOOK_EXECUTION_FAILURE" if name in HOOK_EVENTS else "ECS_UPDATE_ERROR"
            message = self.fault.message or f"The {name} lifecycle event failed (sandbox fault)."
            event["diagnostics"] = {"errorCode": "ScriptFailed", "scriptName": name, "message": message, "logTail": ""}
            raise DeploymentFailed(code, message)
        event.update(status="Succeeded", endTime=self.now)
        self._target(self.target_status)

    def _skip(self, name: str) -> None:
        self.events[name].update(status="Skipped", startTime=self.now, endTime=self.now)

    def _target(self, status: str) -> None:
        self.target_status = status
        self.target_updated = self.now

    # ---- side effects --------------------------------------------------------------------------

    @property
    def ecs_service(self) -> dict:
        return (self.group.get("ecsServices") or [{}])[0]

    def _pair(self) -> dict:
        pairs = (self.group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []
        if not pairs:
            raise DeploymentFailed("MISSING_ELB_INFORMATION", "The deployment group has no target group pair.")
        return pairs[0]

    def _install(self) -> None:
        aws = self.rs.aws
        cluster, service_name = self.ecs_service.get("clusterName"), self.ecs_service.get("serviceName")
        service = aws.service(cluster, service_name)
        if service is None or service.get("status") != "ACTIVE":
            raise DeploymentFailed("INVALID_ECS_SERVICE", f"The ECS service {cluster}:{service_name} does not exist.")
        pair = self._pair()
        names = [g["name"] for g in pair.get("targetGroups", [])]
        try:
            arns = aws.target_group_arns(names)
        except ClientError as exc:
            raise DeploymentFailed("ELASTIC_LOAD_BALANCING_INVALID", str(exc)) from exc
        self.prod_listeners = list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])
        self.test_listeners = list((pair.get("testTrafficRoute") or {}).get("listenerArns") or [])
        if not self.prod_listeners or len(arns) != 2:
            raise DeploymentFailed(
                "ELASTIC_LOAD_BALANCING_INVALID", "Two target groups and a production listener are needed."
            )
        weights = aws.listener_weights(self.prod_listeners[0])
        by_arn = {arn: name for name, arn in arns.items()}
        original = max(by_arn, key=lambda arn: (weights.get(arn, 0), arn == arns[names[0]]))
        replacement = next(arn for arn in by_arn if arn != original)

        primary = next((ts for ts in service.get("taskSets", []) if ts.get("status") == "PRIMARY"), None)
        if primary:
            self.blue = {
                "arn": primary["taskSetArn"],
                "id": primary["id"],
                "target_group_arn": original,
                "target_group_name": by_arn[original],
                "desired": primary.get("computedDesiredCount", service.get("desiredCount", 0)),
            }
        spec = self.appspec
        try:
            task_def = aws.ecs.describe_task_definition(taskDefinition=spec["task_definition"])["taskDefinition"]
        except ClientError as exc:
            raise DeploymentFailed(
                "ECS_UPDATE_ERROR", f"The task definition {spec['task_definition']} does not exist."
            ) from exc
        containers = [c["name"] for c in task_def.get("containerDefinitions", [])]
        if spec["container_name"] not in containers:
            raise DeploymentFailed(
                "ECS_UPDATE_ERROR", f"The container {spec['container_name']} is not in {task_def['taskDefinitionArn']}."
            )
        kwargs = {
            "service": service_name,
            "cluster": cluster,
            "externalId": self.id,
            "taskDefinition": task_def["taskDefinitionArn"],
            "loadBalancers": [
                {
                    "targetGroupArn": replacement,
                    "containerName": spec["container_name"],
                    "containerPort": spec["container_port"],
                }
            ],
            "scale": {"unit": "PERCENT", "value": 100.0},
        }
        network = _network(spec.get("network"), service)
        if network:
            kwargs["networkConfiguration"] = network
        if spec.get("capacity_providers"):
            kwargs["capacityProviderStrategy"] = [
                {k[0].lower() + k[1:]: v for k, v in item.items()} for item in spec["capacity_providers"]
            ]
        else:
            kwargs["launchType"] = service.get("launchType") or "FARGATE"
        platform = spec.get("platform_version") or service.get("platformVersion")
        if platform:
            kwargs["platformVersion"] = platform
        task_set = aws.ecs.create_task_set(**kwargs)["taskSet"]
        self.green = {
            "arn": task_set["taskSetArn"],
            "id": task_set["id"],
            "target_group_arn": replacement,
            "target_group_name": by_arn[replacement],
            "desired": service.get("desiredCount", 0),
        }

    def _tasks_running(self) -> None:
        self.green_running = True

    def _allow_test_traffic(self) -> None:
        for listener in self.test_listeners:
            self.rs.aws.forward(listener, {self.green["target_group_arn"]: 100})
        self.test_moved = True

    def _set_production_weight(self, percent: float) -> None:
        for listener in self.prod_listeners:
            weights = {self.green["target_group_arn"]: int(percent)}
            if self.blue:
                weights[self.blue["target_group_arn"]] = 100 - int(percent)
            self.rs.aws.forward(listener, weights)
        self.green_weight = float(percent)

    def _allow_traffic(self):
        event = self.events["AllowTraffic"]
        if event["status"] == "Succeeded":
            return
        if event["status"] != "InProgress":
            event.update(status="InProgress", startTime=self.now)
        started = event["startTime"]
        for offset, percent in shift_schedule(self.config.get("trafficRoutingConfig")):
            if percent <= self.green_weight:  # shifted before a restart
                continue
            moment = started + timedelta(seconds=offset)
            if moment > self.now:
                yield moment
            self._set_production_weight(percent)
            self._target("InProgress")
        self.rs.aws.ecs.update_service_primary_task_set(
            cluster=self.ecs_service["clusterName"],
            service=self.ecs_service["serviceName"],
            primaryTaskSet=self.green["arn"],
        )
        if self.fault and self.fault.lifecycle_event == "AllowTraffic":
            raise DeploymentFailed("ECS_UPDATE_ERROR", self.fault.message or "AllowTraffic failed (sandbox fault).")
        yield self._step(ALLOW_TRAFFIC_SETTLE_SECONDS)
        event.update(status="Succeeded", endTime=self.now)

    def _termination_wait(self):
        option = (self.group.get("blueGreenDeploymentConfiguration") or {}).get(
            "terminateBlueInstancesOnDeploymentSuccess"
        ) or {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0}
        if option.get("action") == "KEEP_ALIVE" or not self.blue:
            return
        if not self.blue_deleted:
            if self.termination_deadline is None:
                minutes = int(option.get("terminationWaitTimeInMinutes") or 0)
                self.termination_deadline = self.now + timedelta(minutes=minutes)
                # As AWS shows the wait: the target has succeeded while the deployment is still InProgress.
                self._target("Succeeded")
                self.waiting_for = "TERMINATION_WAIT"
                self.status_messages = [
                    "Traffic is on the replacement task set; the original one will be terminated at "
                    f"{self.termination_deadline.isoformat()}"
                ]
            deadline = self.termination_deadline
            while not self._continue["TERMINATION_WAIT"] and self.now < deadline:
                yield deadline
            self.waiting_for = None
            self.status_messages = ["Terminating the original task set"]
            self._delete_task_set(self.blue)
            self.blue_deleted = True
            yield self._step(TERMINATION_SECONDS)
        self.status_messages = []

    def _delete_task_set(self, task_set: dict | None) -> None:
        if not task_set:
            return
        try:
            self.rs.aws.ecs.delete_task_set(
                cluster=self.ecs_service["clusterName"],
                service=self.ecs_service["serviceName"],
                taskSet=task_set["arn"],
            )
        except ClientError as exc:
            if "NotFound" not in exc.response["Error"]["Code"]:
                raise

    def _restore_original(self) -> None:
        """Traffic back to the original target group, the original task set primary again."""
        if not self.blue:
            return
        for listener in self.prod_listeners + (self.test_listeners if self.test_moved else []):
            self.rs.aws.forward(listener, {self.blue["target_group_arn"]: 100})
        if self.green_weight > 0:
            self.rs.aws.ecs.update_service_primary_task_set(
                cluster=self.ecs_service["clusterName"],
                service=self.ecs_service["serviceName"],
                primaryTaskSet=self.blue["arn"],
            )
        self.green_weight = 0.0
        self.test_moved = False

    # ---- endings ---------------------------------------------------------------------------

    def _finish(self, status: str, error: dict | None = None) -> None:
        self.status = status
        self.error = error
        self.complete_time = self.now
        self.wake_at = None
        self.waiting_for = None
        if not self._stepping:
            self._run.close()
        for event in self.events.values():
            if event["status"] == "InProgress":
                event.update(status="Failed" if status != "Succeeded" else "Succeeded", endTime=self.now)
            elif event["status"] == "Pending":
                event["status"] = "Skipped"
        self._target({"Succeeded": "Succeeded", "Failed": "Failed", "Stopped": "Failed"}[status])
        self.rs.codedeploy.deployment_finished(self)

    def _end_without_rollback(self, status: str, error: dict) -> None:
        """Without rollback: before production traffic moved, the replacement is removed and the test
        listener restored; once production traffic has moved, task sets and listeners stay as they are."""
        try:
            if self.green_weight == 0:
                if self.test_moved and self.blue:
                    for listener in self.test_listeners:
                        self.rs.aws.forward(listener, {self.blue["target_group_arn"]: 100})
                    self.test_moved = False
                self._delete_task_set(self.green)
        finally:
            self._finish(status, error)

    def _failed(self, failure: DeploymentFailed) -> None:
        error = {"code": failure.code, "message": failure.message}
        rollback = self.auto_rollback or {}
        if rollback.get("enabled") and "DEPLOYMENT_FAILURE" in (rollback.get("events") or []):
            self._finish("Failed", error)
            self._start_rollback("Automatic rollback after a deployment failure")
        else:
            self._end_without_rollback("Failed", error)

    # ---- operator actions ------------------------------------------------------------------

    def continue_(self, wait_type: str) -> None:
        if not self.active:
            raise AwsErrorResponse(
                "DeploymentAlreadyCompletedException", f"The deployment {self.id} has already completed."
            )
        if self.waiting_for != wait_type:
            raise AwsErrorResponse(
                "DeploymentIsNotInReadyStateException",
                f"The deployment {self.id} is not waiting for {wait_type} (status {self.status}).",
            )
        self._continue[wait_type] = True
        self.wake_at = self.now

    def stop(self, rollback: bool | None) -> dict:
        if not self.active:
            raise AwsErrorResponse(
                "DeploymentAlreadyCompletedException", f"The deployment {self.id} has already completed."
            )
        if rollback is None:
            config = self.auto_rollback or {}
            rollback = bool(config.get("enabled") and "DEPLOYMENT_STOP_ON_REQUEST" in (config.get("events") or []))
        error = {"code": "MANUAL_STOP", "message": "The deployment was stopped by the user."}
        if self._stop(error, rollback, "Rollback after the user stopped the deployment"):
            return {
                "status": "Pending",
                "statusMessage": "Stopping the deployment; a rollback deployment is in progress.",
            }
        return {"status": "Succeeded", "statusMessage": "The deployment was stopped."}

    def stop_on_alarm(self, message: str) -> None:
        """An alarm of its alarm configuration is in ALARM (alarms.py)."""
        config = self.auto_rollback or {}
        rollback = bool(config.get("enabled") and "DEPLOYMENT_STOP_ON_ALARM" in (config.get("events") or []))
        self._stop({"code": "ALARM_ACTIVE", "message": message}, rollback, "Automatic rollback after an alarm")

    def _stop(self, error: dict, rollback: bool, message: str) -> bool:
        """Stop, rolling back when asked and there is something to roll back; True when a rollback started."""
        if rollback and self.green and not self.rollback_of:
            self._finish("Stopped", error)
            self._start_rollback(message)
            return True
        self._end_without_rollback("Stopped", error)
        return False

    def _start_rollback(self, message: str) -> None:
        if not self.green:
            self.rollback_info = {"rollbackMessage": "No rollback was needed: no replacement task set was created."}
            return
        rollback = self.rs.codedeploy.start_rollback(self)
        self.rollback_info = {"rollbackDeploymentId": rollback.id, "rollbackMessage": message}
        rollback.rollback_info = {
            "rollbackTriggeringDeploymentId": self.id,
            "rollbackMessage": f"Rollback of deployment {self.id}",
        }

    # ---- rollback deployments --------------------------------------------------------------

    def _rollback_lifecycle(self):
        """Reroute traffic back to the original task set and remove the replacement."""
        failed = self.rollback_of
        if self.start_time is None:
            self.status = "InProgress"
            self.start_time = self.now
            self._target("InProgress")
            # This deployment's "original" is the failed replacement; its "replacement" is the original.
            self.blue, self.green = failed.green, failed.blue
            self.prod_listeners, self.test_listeners = failed.prod_listeners, failed.test_listeners
            self.green_weight = 100 - failed.green_weight if failed.blue else 0
            self.green_running = True
            for name in ("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic"):
                self._skip(name)
        yield from self._event("BeforeAllowTraffic", HOOK_SECONDS)
        event = self.events["AllowTraffic"]
        if event["status"] != "Succeeded":
            if event["status"] != "InProgress":  # (InProgress: resumed after a restart, traffic already restored)
                event.update(status="InProgress", startTime=self.now)
                failed._restore_original()
                self.green_weight = 100.0 if self.green else 0.0
                yield self._step(1)
            event.update(status="Succeeded", endTime=self.now)
        yield from self._event("AfterAllowTraffic", HOOK_SECONDS)
        self._delete_task_set(self.blue)
        self.blue_deleted = True
        self._finish("Succeeded")

    # ---- views -------------------------------------------------------------------------------

    def info(self) -> dict:
        active = self.active
        overview = dict.fromkeys(("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready"), 0)
        overview[self.target_status if self.target_status in overview else "Pending"] += 1
        return {
            "applicationName": self.application,
            "deploymentGroupName": self.group["name"],
            "deploymentConfigName": self.config["deploymentConfigName"],
            "deploymentId": self.id,
            "previousRevision": self.previous_revision,
            "revision": self.revision,
            "status": self.status,
            "errorInformation": self.error,
            "createTime": self.create_time,
            "startTime": self.start_time,
            "completeTime": self.complete_time,
            "deploymentOverview": overview,
            "description": self.description,
            "creator": self.creator,
            "ignoreApplicationStopFailures": False,
            "autoRollbackConfiguration": self.auto_rollback,
            "updateOutdatedInstancesOnly": False,
            "rollbackInfo": self.rollback_info,
            "deploymentStyle": self.group.get("deploymentStyle"),
            # AWS never sets it for ECS deployments (aws/containers-roadmap#269).
            "instanceTerminationWaitTimeStarted": False,
            "blueGreenDeploymentConfiguration": self.group.get("blueGreenDeploymentConfiguration"),
            "loadBalancerInfo": self.group.get("loadBalancerInfo"),
            "fileExistsBehavior": "DISALLOW",
            "deploymentStatusMessages": list(self.status_messages) if active else [],
            "computePlatform": "ECS",
            **({"overrideAlarmConfiguration": self.override_alarms} if self.override_alarms else {}),
        }

    @property
    def target_id(self) -> str:
        return f"{self.ecs_service.get('clusterName')}:{self.ecs_service.get('serviceName')}"

    def target(self) -> dict:
        cluster, service = self.ecs_service.get("clusterName"), self.ecs_service.get("serviceName")
        task_sets = []
        for label, task_set, weight in (
            ("Blue", self.blue, 100 - self.green_weight),
            ("Green", self.green, self.green_weight),
        ):
            if not task_set:
                continue
            removed = label == "Blue" and self.blue_deleted
            desired = 0 if removed else task_set["desired"]
            running = desired if (label == "Blue" or self.green_running) else 0
            primary = (label == "Green") == (self.green_weight >= 100)
            task_sets.append(
                {
                    "identifer": task_set["id"],
                    "desiredCount": desired,
                    "pendingCount": desired - running,
                    "runningCount": running,
                    "status": "DRAINING" if removed else ("PRIMARY" if primary else "ACTIVE"),
                    "trafficWeight": float(0 if removed else weight if self.green else 100),
                    "targetGroup": {"name": task_set["target_group_name"]},
                    "taskSetLabel": label,
                }
            )
        return {
            "deploymentTargetType": "ECSTarget",
            "ecsTarget": {
                "deploymentId": self.id,
                "targetId": self.target_id,
                "targetArn": f"arn:aws:ecs:{self.rs.name}:{self.rs.account}:service/{cluster}/{service}",
                "lastUpdatedAt": self.target_updated,
                "lifecycleEvents": [dict(e) for e in self.events.values()],
                "status": self.target_status,
                "taskSetsInfo": task_sets,
            },
        }
