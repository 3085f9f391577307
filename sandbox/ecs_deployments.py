"""An Amazon ECS service deployment of the BLUE_GREEN, LINEAR or CANARY strategy, on the sandbox clock.

It follows the ECS developer guide: "Amazon ECS blue/green service deployments workflow" (the lifecycle stages, in
botocore's ServiceDeploymentLifecycleStage order), "Lifecycle hooks for Amazon ECS service deployments" (Lambda and
PAUSE hooks), "Stopping Amazon ECS service deployments", "Amazon ECS deployment failure detection" (circuit breaker,
CloudWatch alarms). See sandbox/README.md, "ECS blue/green deployments", for every choice where AWS is silent.

Like deployments.py, the lifecycle is a generator that yields when to wake. Every step records what it did
(`progress`, `deadlines`, the hook invocations), so that after a restart a new generator skips what is done.
"""

import itertools
import logging
import math
import secrets
import string
from datetime import datetime, timedelta

from sandbox.api import AwsErrorResponse
from sandbox.aws import ClientError
from sandbox.ecs_hooks import Failure, HookFailed, Hooks

log = logging.getLogger("sandbox")
ACTIVE = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
# Sandbox seconds the deployment's own steps take (times the step_time_factor setting); AWS documents none.
STEP_SECONDS = {"start": 1, "stage": 1, "reconcile": 5, "scale_up": 20, "test_shift": 5, "prod_shift": 5, "clean_up": 5}
TASK_RETRY_SECONDS = 15  # a new revision's tasks that fail to start are started again after this (a step)
ALARM_POLL_SECONDS = 10  # how often the alarms are read while the deployment runs (a wait; AWS documents none)
MONITORED_STAGES = ("SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT")
MONITORED_STAGES += ("PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME")
CIRCUIT_BREAKER_FAILED = "ECS deployment circuit breaker: tasks failed to start."
_seq = itertools.count()


def new_deployment_arn(rs, cluster: str, service: str) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    suffix = "".join(secrets.choice(alphabet) for _ in range(21))
    return f"arn:aws:ecs:{rs.name}:{rs.account}:service-deployment/{cluster}/{service}/{suffix}"


def production_schedule(config: dict) -> list[tuple[float, int]]:
    """(percent of production traffic on green, minutes to wait before the next step) for the strategy."""
    strategy = config.get("strategy")
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        step, bake = float(linear.get("stepPercent", 10.0)), int(linear.get("stepBakeTimeInMinutes", 6))
        percents = [min(100.0, round(step * k, 1)) for k in range(1, math.ceil(100 / step) + 1)]
        return [(p, bake if p < 100 else 0) for p in percents]
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        percent, bake = float(canary.get("canaryPercent", 5.0)), int(canary.get("canaryBakeTimeInMinutes", 10))
        return [(percent, bake), (100.0, 0)] if percent < 100 else [(100.0, 0)]
    return [(100.0, 0)]


def elb_weights(green_percent: float) -> tuple[int, int]:
    """(green, blue) forward weights: whole percents as they are, tenths of a percent out of 1000 (ELB takes 0-999)."""
    if float(green_percent).is_integer():
        return int(green_percent), 100 - int(green_percent)
    green = int(round(green_percent * 10))
    return green, 1000 - green


class ServiceDeployment:
    def __init__(self, rs, svc: dict, target: str, sources: list[str], reconcile: list[str]):
        self.rs = rs
        self.seq = next(_seq)
        self.arn = new_deployment_arn(rs, svc["cluster"], svc["name"])
        self.service_arn, self.cluster_arn = svc["arn"], svc["cluster_arn"]
        self.cluster, self.service_name = svc["cluster"], svc["name"]
        self.config = dict(svc["config"])
        self.desired = int(svc["desired"])
        self.target = target  # the green service revision
        self.sources = list(sources)  # what serves production: the blue revision (none for a first deployment)
        self.reconcile = list(reconcile)  # revisions of a stopped deployment that still have tasks
        lb = svc["lb"]
        self.blue_tg = svc["production_tg"]
        self.green_tg = lb["alternateTargetGroupArn"] if self.blue_tg == lb["targetGroupArn"] else lb["targetGroupArn"]
        if not self.sources:  # a first deployment goes where the production rule already sends traffic
            self.blue_tg, self.green_tg = self.green_tg, self.blue_tg
        self.prod_rule, self.test_rule = lb["productionListenerRule"], lb.get("testListenerRule")
        self.status = "PENDING"
        self.status_reason: str | None = None
        self.stage: str | None = None
        self.created_at = self.updated_at = rs.now()
        self.started_at = self.finished_at = self.stopped_at = None
        self.rollback: dict | None = None
        self.rollback_kind: str | None = None
        self.test_weight = self.prod_weight = 0.0  # percent of each kind of traffic on green
        self.breaker = self._breaker_view()
        self.alarms = self._alarms_view()
        self.progress: set[str] = set()
        self.deadlines: dict[str, datetime] = {}
        self.hooks = Hooks(self)
        self.events: list[dict] = []  # the state-change events to publish (state_events.py)
        self.task_fault = rs.world.faults.take_ecs("ecs_task_failure", self.service_name)
        self.wake_at: datetime | None = self.created_at + timedelta(seconds=self._step("start"))
        self._run = self._lifecycle()
        self._stepping = False

    # ---- the scheduler's side ----------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.rs.now()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def resume(self) -> None:
        """After a restart (persistence.py): a new generator that skips what is done."""
        self._stepping = False
        if not self.active:
            self._run = iter(())
        else:
            self._run = self._rolling_back() if self.status.startswith("ROLLBACK") else self._lifecycle()

    def wake(self) -> None:
        self.wake_at = None
        self._stepping = True
        try:
            wait = next(self._run)
        except StopIteration:
            return
        except Failure as failure:
            self._failed(failure)
            return
        except Exception as exc:  # noqa: BLE001 - a sandbox bug (or ELB refusing a change) fails this deployment
            log.exception("service deployment %s failed in the sandbox", self.arn)
            self._failed(Failure("error", f"The service deployment failed: {exc}", rollback=True))
            return
        finally:
            self._stepping = False
        self.wake_at = wait if isinstance(wait, datetime) else self.now + timedelta(seconds=wait or 0)

    def poke(self) -> None:
        if self.active:
            self.wake_at = self.now

    def _step(self, name: str) -> float:
        return self.rs.world.settings.step_seconds(STEP_SECONDS[name])

    def _touch(self) -> None:
        self.updated_at = self.now

    def rev(self, arn: str) -> dict:
        return self.rs.ecs_native.revisions[arn]

    @property
    def blue(self) -> str | None:
        return self.sources[0] if self.sources else None

    # ---- waiting, with the alarms watched ----------------------------------------------------

    def sleep(self, key: str, seconds: float):
        """Wait `seconds` once (resumable by `key`), reading the alarms meanwhile."""
        if key in self.progress:
            return
        deadline = self.deadlines.setdefault(key, self.now + timedelta(seconds=seconds))
        while self.now < deadline:
            self.watch()
            yield self.next_look(deadline)
        self.watch()
        self.progress.add(key)

    def next_look(self, deadline: datetime) -> datetime:
        if self.status == "IN_PROGRESS" and self.alarms["status"] == "MONITORING":
            return min(deadline, self.now + timedelta(seconds=ALARM_POLL_SECONDS))
        return deadline

    def watch(self) -> None:
        """CloudWatch alarm detection: any of the configured alarms in ALARM fails the deployment."""
        if self.status != "IN_PROGRESS" or self.alarms["status"] != "MONITORING" or self.stage not in MONITORED_STAGES:
            return
        names = self.alarms["alarmNames"]
        try:
            alarms = self.rs.aws.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
        except ClientError:
            return
        firing = [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
        if firing:
            self.alarms.update(status="TRIGGERED", triggeredAlarmNames=firing)
            rollback = bool((self.config.get("alarms") or {}).get("rollback"))
            raise Failure("alarms", f"ECS deployment alarms detected in ALARM state: {', '.join(firing)}.", rollback)

    # ---- the lifecycle ---------------------------------------------------------------------------

    def _lifecycle(self):
        if self.status == "PENDING":
            self.status, self.started_at = "IN_PROGRESS", self.now
            self._touch()
            green = self.rev(self.target)
            self.emit("SERVICE_DEPLOYMENT_IN_PROGRESS", "INFO", green, f"ECS deployment {green['_id']} in progress.")
        if self.reconcile:
            yield from self._stage("RECONCILE_SERVICE", self._reconcile, self._step("reconcile"))
        yield from self._stage("PRE_SCALE_UP")
        yield from self._scale_up()
        yield from self._stage("POST_SCALE_UP")
        yield from self._stage("TEST_TRAFFIC_SHIFT", self._shift_test_traffic, self._step("test_shift"))
        yield from self._stage("POST_TEST_TRAFFIC_SHIFT")
        yield from self._shift_production_traffic()
        yield from self._stage("POST_PRODUCTION_TRAFFIC_SHIFT")
        self._enter("BAKE_TIME")
        yield from self.sleep("bake", 60 * int(self.config.get("bakeTimeInMinutes") or 0))
        self._enter("CLEAN_UP")
        if self.alarms["status"] == "MONITORING":
            self.alarms["status"] = "MONITORING_COMPLETE"
        if self.breaker["status"] == "MONITORING":
            self.breaker["status"] = "MONITORING_COMPLETE"
        yield from self.sleep("clean_up", self._step("clean_up"))
        self._scale_in(self.sources + self.reconcile)
        self._succeeded()

    def _enter(self, stage: str) -> None:
        if self.stage != stage:
            self.stage = stage
            self._touch()

    def _stage(self, stage: str, action=None, seconds: float | None = None):
        """A stage: its action (once), its time (a step second for a stage that only runs hooks), then its hooks."""
        if f"stage:{stage}" in self.progress:
            return
        seconds = self._step("stage") if seconds is None else seconds
        self._enter(stage)
        if action and f"action:{stage}" not in self.progress:
            action()
            self.progress.add(f"action:{stage}")
        yield from self.sleep(f"time:{stage}", seconds)
        yield from self.hooks.run(stage)
        self.progress.add(f"stage:{stage}")

    def _reconcile(self) -> None:
        """Another deployment's green revision still has tasks: scale it in and send test traffic back to blue."""
        self._scale_in(self.reconcile)
        if self.test_rule and self.blue:
            self.rs.aws.forward_rule(self.test_rule, {self.blue_tg: 100, self.green_tg: 0})
        self.reconcile = []

    def _scale_up(self):
        if "stage:SCALE_UP" in self.progress:
            return
        self._enter("SCALE_UP")
        green = self.rev(self.target)
        green["_requested"] = green["_pending"] = self.desired
        attempt = 0
        while self.task_fault is not None:  # tasks fail to start: ECS starts them again, the circuit breaker counts
            attempt += 1
            yield from self.sleep(f"scale_up:{attempt}", TASK_RETRY_SECONDS * self.rs.world.settings.step_time_factor)
            green["_failed"] += green["_requested"]
            green["_updated"] = self.now
            self._count_failures(green["_requested"])
        yield from self.sleep("time:SCALE_UP", self._step("scale_up"))
        green.update(_running=green["_requested"], _pending=0, _updated=self.now)
        self.rs.world.targets.register(self.target, self.now)  # its tasks join the target group now
        self.progress.add("stage:SCALE_UP")

    def _count_failures(self, count: int) -> None:
        if self.breaker["status"] != "MONITORING":
            return
        self.breaker["failureCount"] += count
        self._touch()
        if self.breaker["failureCount"] >= self.breaker["threshold"]:
            self.breaker["status"] = "TRIGGERED"
            rollback = bool((self.config.get("deploymentCircuitBreaker") or {}).get("rollback"))
            raise Failure("circuit_breaker", CIRCUIT_BREAKER_FAILED, rollback)

    def _shift_test_traffic(self) -> None:
        if self.test_rule:
            self.rs.aws.forward_rule(self.test_rule, self._weights(100.0))
        self.test_weight = 100.0
        self._touch()

    def _shift_production_traffic(self):
        if "stage:PRODUCTION_TRAFFIC_SHIFT" in self.progress:
            return
        self._enter("PRODUCTION_TRAFFIC_SHIFT")
        for index, (percent, bake_minutes) in enumerate(production_schedule(self.config)):
            yield from self.hooks.run("PRE_PRODUCTION_TRAFFIC_SHIFT", step=index)
            if f"shift:{index}" not in self.progress:
                self.rs.aws.forward_rule(self.prod_rule, self._weights(percent))
                self.prod_weight = percent
                self._touch()
                # the step bake time runs from the shift to the next one
                self.deadlines[f"step_bake:{index}"] = self.now + timedelta(minutes=bake_minutes)
                self.progress.add(f"shift:{index}")
            yield from self.sleep(f"shift_time:{index}", self._step("prod_shift"))
            yield from self.hooks.run("PRODUCTION_TRAFFIC_SHIFT", step=index)
            yield from self.sleep(f"step_bake:{index}", 0)
        self.progress.add("stage:PRODUCTION_TRAFFIC_SHIFT")

    def _weights(self, green_percent: float) -> dict[str, int]:
        if not self.sources:  # a first deployment: all of it on green, the other group kept at 0
            return {self.green_tg: 100, self.blue_tg: 0}
        green, blue = elb_weights(green_percent)
        return {self.blue_tg: blue, self.green_tg: green}

    def _scale_in(self, arns: list[str]) -> None:
        """The revisions' tasks stop; ECS deregisters them from their target group first (they drain)."""
        from sandbox.ecs_targets import Registration
        from sandbox.target_health import drain

        for arn in arns:
            rev = self.rev(arn)
            lb = next((x for x in rev["loadBalancers"] if x.get("advancedConfiguration")), {})
            network = (rev.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            if rev["_running"] and rev["_tg"]:
                registration = Registration(
                    arn,
                    None,
                    rev["_tg"],
                    rev["taskDefinition"],
                    lb.get("containerName", ""),
                    int(lb.get("containerPort") or 80),
                    rev["_running"],
                    list(network.get("subnets") or []),
                )
                drain(self.rs.world, self.rs.aws, registration)
            rev.update(_requested=0, _running=0, _pending=0, _updated=self.now)

    # ---- endings ---------------------------------------------------------------------------------

    def _end(self, status: str, reason: str | None = None) -> None:
        self.status = status
        if reason:
            self.status_reason = reason
        if status == "STOPPED":
            self.stopped_at = self.now
        else:
            self.finished_at = self.now
        self.wake_at = None
        self._touch()
        if not self._stepping:
            self._run.close()
        self.rs.ecs_native.deployment_ended(self)

    def _succeeded(self) -> None:
        green = self.rev(self.target)
        self.rs.ecs_native.promote(self)
        self.emit("SERVICE_DEPLOYMENT_COMPLETED", "INFO", green, f"ECS deployment {green['_id']} completed.")
        self._end("SUCCESSFUL")

    def _failed(self, failure: Failure) -> None:
        green = self.rev(self.target)
        if failure.kind == "circuit_breaker":
            green.update(_rollout="FAILED", _rollout_reason=CIRCUIT_BREAKER_FAILED)
        self.emit("SERVICE_DEPLOYMENT_FAILED", "ERROR", green, failure.reason)
        if failure.rollback:
            self.start_rollback(failure.reason, failure.kind)
        else:
            green.update(_rollout="FAILED", _rollout_reason=green.get("_rollout_reason") or failure.reason)
            self._end("STOPPED", failure.reason)

    # ---- rollback --------------------------------------------------------------------------------

    def start_rollback(self, reason: str, kind: str) -> None:
        self.status = "ROLLBACK_REQUESTED"
        self.status_reason = reason
        self.rollback_kind = kind
        self.rollback = {"reason": reason, "startedAt": self.now, "serviceRevisionArn": self.blue}
        self._touch()
        if not self._stepping:
            self._run.close()
        self._run = self._rolling_back()
        self.wake_at = self.now + timedelta(seconds=self._step("start"))

    def _rolling_back(self):
        """Production and test traffic back to blue (their hooks run again), green scaled in."""
        green = self.rev(self.target)
        if self.status == "ROLLBACK_REQUESTED":
            if not self.blue:
                reason = "There is no earlier service revision to roll back to."
                self.emit("SERVICE_DEPLOYMENT_FAILED", "ERROR", green, reason)
                self._end("ROLLBACK_FAILED", reason)
                return
            self.status = "ROLLBACK_IN_PROGRESS"
            self._touch()
            blue = self.rev(self.blue)
            blue["_status"], green["_status"] = "PRIMARY", "ACTIVE"
            prefix = (
                "ECS deployment circuit breaker: " if self.rollback_kind == "circuit_breaker" else "ECS deployment "
            )
            blue.update(_rollout="IN_PROGRESS", _rollout_reason=f"{prefix}rolling back to deploymentId {blue['_id']}.")
            self.emit("SERVICE_DEPLOYMENT_IN_PROGRESS", "INFO", blue, blue["_rollout_reason"])
        try:
            for stage, rule, attribute in (
                ("PRODUCTION_TRAFFIC_SHIFT", self.prod_rule, "prod_weight"),
                ("TEST_TRAFFIC_SHIFT", self.test_rule, "test_weight"),
            ):
                self._enter(stage)
                if f"rollback:{stage}" not in self.progress:
                    if rule and getattr(self, attribute) > 0:
                        self.rs.aws.forward_rule(rule, self._weights(0.0))
                    setattr(self, attribute, 0.0)
                    self._touch()
                    self.progress.add(f"rollback:{stage}")
                yield from self.sleep(f"rollback_time:{stage}", self._step("test_shift"))
                yield from self.hooks.run(stage, step=-1, rollback=True)
        except HookFailed as failure:
            self.emit("SERVICE_DEPLOYMENT_FAILED", "ERROR", self.rev(self.blue), failure.reason)
            self._end("ROLLBACK_FAILED", failure.reason)
            return
        self._enter("CLEAN_UP")
        yield from self.sleep("rollback_clean_up", self._step("clean_up"))
        self._scale_in([self.target, *self.reconcile])
        green.update(_rollout="FAILED", _rollout_reason=green.get("_rollout_reason") or self.status_reason)
        self.rs.ecs_native.rolled_back(self)
        blue = self.rev(self.blue)
        blue.update(_rollout="COMPLETED", _rollout_reason=f"ECS deployment {blue['_id']} completed.")
        self.emit("SERVICE_DEPLOYMENT_COMPLETED", "INFO", blue, blue["_rollout_reason"])
        self._end("ROLLBACK_SUCCESSFUL")

    # ---- operator actions ------------------------------------------------------------------------

    def stop(self, stop_type: str) -> None:
        if stop_type != "ROLLBACK":
            raise AwsErrorResponse(
                "InvalidParameterException", f"The stop type {stop_type} is not supported: the valid value is ROLLBACK."
            )
        if self.status in ("STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"):
            return  # "The service deployment continues the rollback operation."
        if not self.active:
            raise AwsErrorResponse(
                "ConflictException",
                f"The service deployment {self.arn} is {self.status} and cannot be stopped.",
            )
        self.start_rollback("The service deployment was stopped with the stop type ROLLBACK.", "stop")

    def continue_hook(self, hook_id: str, action: str) -> None:
        self.hooks.continue_(hook_id, action)

    # ---- events and views ------------------------------------------------------------------------

    def emit(self, name: str, kind: str, revision: dict, reason: str) -> None:
        self.events.append(
            {
                "eventType": kind,
                "eventName": name,
                "deploymentId": revision["_id"],
                "updatedAt": self.now,
                "reason": reason,
            }
        )

    def _breaker_view(self) -> dict:
        breaker = self.config.get("deploymentCircuitBreaker") or {}
        if not breaker.get("enable"):
            return {"status": "DISABLED", "failureCount": 0, "threshold": 0}
        desired = self.desired
        threshold = breaker.get("thresholdConfiguration") or {}
        kind, value = threshold.get("type", "BOUNDED_PERCENT"), int(threshold.get("value", 50))
        if kind == "COUNT":
            limit = value
        elif kind == "UNBOUNDED_PERCENT":
            limit = max(1, math.ceil(desired * value / 100))
        else:  # the API reference: at least 3, at most 200, 0.5 * the desired count by default
            limit = min(200, max(3, math.ceil(desired * value / 100)))
        return {"status": "MONITORING", "failureCount": 0, "threshold": limit}

    def _alarms_view(self) -> dict:
        alarms = self.config.get("alarms") or {}
        names = list(alarms.get("alarmNames") or [])
        status = "MONITORING" if alarms.get("enable") and names else "DISABLED"
        return {"status": status, "alarmNames": names, "triggeredAlarmNames": []}

    def _summary(self, arn: str, green: bool) -> dict:
        rev = self.rev(arn)
        test = self.test_weight if green else 100 - self.test_weight
        prod = self.prod_weight if green else 100 - self.prod_weight
        return {
            "arn": arn,
            "requestedTaskCount": rev["_requested"],
            "runningTaskCount": rev["_running"],
            "pendingTaskCount": rev["_pending"],
            "requestedTestTrafficWeight": float(test),
            "requestedProductionTrafficWeight": float(prod),
        }

    def brief(self) -> dict:
        return {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "startedAt": self.started_at,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
            "targetServiceRevisionArn": self.target,
            "status": self.status,
            "statusReason": self.status_reason,
        }

    def view(self) -> dict:
        return {
            "serviceDeploymentArn": self.arn,
            "serviceArn": self.service_arn,
            "clusterArn": self.cluster_arn,
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "stoppedAt": self.stopped_at,
            "updatedAt": self.updated_at,
            "sourceServiceRevisions": [self._summary(arn, green=False) for arn in self.sources],
            "targetServiceRevision": self._summary(self.target, green=True),
            "status": self.status,
            "statusReason": self.status_reason,
            "lifecycleStage": self.stage,
            "lifecycleHookDetails": self.hooks.details(),
            "deploymentConfiguration": self.config,
            "rollback": self.rollback,
            "deploymentCircuitBreaker": self.breaker,
            "alarms": self.alarms,
        }
