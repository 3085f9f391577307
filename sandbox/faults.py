"""Faults an operator's tests can switch on: failing or held deployments, failing pipeline actions,
throttled calls, added latency and unhealthy images. Set through `POST /_sandbox/faults`, cleared with `DELETE`."""

import itertools
import threading
from dataclasses import dataclass, field

LIFECYCLE_EVENTS = (
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
KINDS = (
    "deployment_failure",
    "deployment_hold",
    "action_failure",
    "throttle",
    "latency",
    "unhealthy_image",
    "ecs_hook",
    "ecs_task_failure",
)
# ECS lifecycle hook stages (botocore's DeploymentLifecycleHookStage) and what a Lambda hook answers (its hookStatus)
ECS_HOOK_STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
)
ECS_HOOK_OUTCOMES = {"succeed": "SUCCEEDED", "fail": "FAILED", "wait": "IN_PROGRESS"}
HOLD_STATUSES = ("Created", "Queued")
IMAGE_MODES = ("status", "slow", "wrong_body")
SLOW_DEFAULT_SECONDS = 10.0  # longer than an ALB health check's default timeout (5 s)


class FaultError(ValueError):
    pass


@dataclass
class Fault:
    id: int
    kind: str
    # deployment_failure, deployment_hold
    lifecycle_event: str = "AfterAllowTestTraffic"
    application: str | None = None
    deployment_group: str | None = None
    status: str | int = "Queued"  # deployment_hold: the status a new deployment is held in; unhealthy_image: the code
    seconds: float = 60.0  # deployment_hold: for how many sandbox seconds; unhealthy_image (slow): real seconds
    # action_failure
    pipeline: str | None = None
    stage: str | None = None
    action: str | None = None
    message: str | None = None
    # ecs_hook: a Lambda lifecycle hook's answer at a stage (any stage when None); ecs_task_failure: tasks of a new
    # service revision fail to start. Both for one ECS service (by name) or any.
    outcome: str = "fail"
    ecs_service: str | None = None
    # throttle / latency
    service: str | None = None
    operation: str | None = None
    rate: float = 1.0
    ms: int = 0
    # unhealthy_image: the image it hits (a substring of its URI, repository:tag or digest) and how it fails
    image: str | None = None
    mode: str = "status"
    # how many times it may fire; None = until cleared
    times: int | None = None
    fired: int = 0
    _share: float = field(default=0.0, repr=False)

    def as_dict(self) -> dict:
        keys = ("id", "kind", "times", "fired")
        extra = {
            "deployment_failure": ("lifecycle_event", "application", "deployment_group", "message"),
            "deployment_hold": ("status", "seconds", "application", "deployment_group"),
            "action_failure": ("pipeline", "stage", "action", "message"),
            "throttle": ("service", "operation", "rate"),
            "latency": ("service", "operation", "ms"),
            "ecs_hook": ("stage", "outcome", "ecs_service"),
            "ecs_task_failure": ("ecs_service",),
            "unhealthy_image": ("image", "mode") + {"status": ("status",), "slow": ("seconds",)}.get(self.mode, ()),
        }[self.kind]
        return {k: getattr(self, k) for k in keys + extra}

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches_call(self, service: str, operation: str) -> bool:
        return (self.service in (None, service)) and (self.operation in (None, operation))


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._items: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict) -> Fault:
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError(f"kind must be one of {', '.join(KINDS)}")
        allowed = set(Fault.__dataclass_fields__) - {"id", "fired", "_share", "kind"}
        unknown = set(spec) - allowed - {"kind"}
        if unknown:
            raise FaultError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if kind == "unhealthy_image":
            spec = _unhealthy_image_spec(spec)
        fault = Fault(id=0, **spec)
        if kind == "deployment_failure" and fault.lifecycle_event not in LIFECYCLE_EVENTS:
            raise FaultError(f"lifecycle_event must be one of {', '.join(LIFECYCLE_EVENTS)}")
        if kind == "deployment_hold" and (
            fault.status not in HOLD_STATUSES
            or isinstance(fault.seconds, bool)
            or not isinstance(fault.seconds, int | float)
            or fault.seconds <= 0
        ):
            raise FaultError(f"deployment_hold needs status in {', '.join(HOLD_STATUSES)} and seconds > 0")
        if kind == "action_failure" and not fault.pipeline:
            raise FaultError("action_failure needs pipeline (and optionally stage, action)")
        if kind == "ecs_hook" and (
            fault.outcome not in ECS_HOOK_OUTCOMES or fault.stage not in (None, *ECS_HOOK_STAGES)
        ):
            raise FaultError(
                f"ecs_hook needs outcome in {', '.join(ECS_HOOK_OUTCOMES)} and stage (optional) in "
                f"{', '.join(ECS_HOOK_STAGES)}"
            )
        if kind == "throttle" and not 0 <= float(fault.rate) <= 1:
            raise FaultError("rate must be between 0 and 1")
        if kind == "latency" and int(fault.ms) < 0:
            raise FaultError("ms must be >= 0")
        if fault.times is not None and int(fault.times) < 1:
            raise FaultError("times must be >= 1 (omit it for a fault that stays until cleared)")
        with self._lock:
            fault.id = next(self._ids)
            self._items.append(fault)
        return fault

    def clear(self, fault_id: int | None = None) -> None:
        with self._lock:
            self._items = [f for f in self._items if fault_id is not None and f.id != fault_id]

    def list(self) -> list[dict]:
        with self._lock:
            return [f.as_dict() for f in self._items]

    def _fire(self, fault: Fault) -> None:
        fault.fired += 1
        if fault.spent:
            self._items.remove(fault)

    # ---- AWS calls ----------------------------------------------------------------------------

    def latency_ms(self, service: str, operation: str) -> int:
        with self._lock:
            matching = [f for f in self._items if f.kind == "latency" and f.matches_call(service, operation)]
            for fault in matching:
                self._fire(fault)
            return sum(int(f.ms) for f in matching)

    def should_throttle(self, service: str, operation: str) -> bool:
        """Throttle exactly `rate` of the matching calls, spread evenly (deterministic, no randomness)."""
        with self._lock:
            for fault in list(self._items):
                if fault.kind != "throttle" or not fault.matches_call(service, operation):
                    continue
                fault._share += float(fault.rate)
                if fault._share >= 1 - 1e-9:
                    fault._share -= 1
                    self._fire(fault)
                    return True
        return False

    def unhealthy_image(self, names: "list[str]") -> Fault | None:
        """The unhealthy_image fault whose `image` is in one of the names an image goes by (URI, repository:tag,
        digest), if any; it stays until cleared."""
        with self._lock:
            for fault in self._items:
                if fault.kind == "unhealthy_image" and any(fault.image in name for name in names if name):
                    return fault
        return None

    # ---- emulation --------------------------------------------------------------------------

    def take_deployment_failure(self, application: str, group: str, kind: str = "deployment_failure") -> Fault | None:
        """Called once when a deployment is created: the fault it will hit, if any."""
        with self._lock:
            for fault in self._items:
                if fault.kind != kind:
                    continue
                if fault.application not in (None, application) or fault.deployment_group not in (None, group):
                    continue
                self._fire(fault)
                return fault
        return None

    def take_ecs(self, kind: str, service: str, stage: str | None = None) -> Fault | None:
        """The `ecs_hook` (for a Lambda hook invoked at `stage`) or `ecs_task_failure` fault for an ECS service."""
        with self._lock:
            for fault in self._items:
                if fault.kind != kind or fault.ecs_service not in (None, service):
                    continue
                if kind == "ecs_hook" and fault.stage not in (None, stage):
                    continue
                self._fire(fault)
                return fault
        return None

    def take_action_failure(self, pipeline: str, stage: str, action: str) -> Fault | None:
        with self._lock:
            for fault in self._items:
                if fault.kind != "action_failure" or fault.pipeline != pipeline:
                    continue
                if fault.stage not in (None, stage) or fault.action not in (None, action):
                    continue
                self._fire(fault)
                return fault
        return None


def _unhealthy_image_spec(spec: dict) -> dict:
    image, mode = spec.get("image"), spec.get("mode", "status")
    if not isinstance(image, str) or not image:
        raise FaultError("unhealthy_image needs image (a tag, URI part or digest of the image to make unhealthy)")
    if mode not in IMAGE_MODES:
        raise FaultError(f"mode must be one of {', '.join(IMAGE_MODES)}")
    if spec.get("times") is not None:
        raise FaultError("unhealthy_image stays until cleared (no times)")
    spec = dict(spec)
    if mode == "status":
        status = spec.setdefault("status", 500)
        if isinstance(status, bool) or not isinstance(status, int) or not 500 <= status <= 599:
            raise FaultError("status must be a 5xx code (default 500)")
    elif "status" in spec:
        raise FaultError("status goes with mode status only")
    if mode == "slow":
        seconds = spec.setdefault("seconds", SLOW_DEFAULT_SECONDS)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= 600:
            raise FaultError("seconds must be a number from 0 to 600")
    elif "seconds" in spec:
        raise FaultError("seconds goes with mode slow only")
    return spec
