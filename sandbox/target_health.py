"""Target health as an Application Load Balancer reports it (`DescribeTargetHealth`), from what ECS registered.

moto answers no targets for a target group ECS serves (it runs no tasks). The sandbox adds the running tasks of the
task sets registered to the group (ecs_targets.py) and judges them as the ALB's health checks would: `initial`
(`Elb.RegistrationInProgress`) for the first `HealthCheckIntervalSeconds` after ECS registered them (the task set's
creation, stamped on the sandbox clock in the WSGI layer), then `healthy`, or `unhealthy` when an `unhealthy_image`
fault hits their image: `Target.ResponseCodeMismatch` for a code the group's matcher refuses, `Target.Timeout` for an
answer slower than `HealthCheckTimeoutSeconds` (an ALB health check reads the code only, so a wrong body stays
healthy). A new target failing its checks stays `initial` (`Elb.InitialHealthChecking`) for `UnhealthyThresholdCount`
intervals. Deleting a task set drains its targets for the group's `deregistration_delay.timeout_seconds`.
Elastic Load Balancing user guide for ALBs, "Health checks for your target groups" (states, reason codes and their
descriptions); API reference, `TargetHealth`.
"""

import json
import threading
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from sandbox import ecs_targets
from sandbox.aws import ClientError, RegionAws

NAMESPACE = "{http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/}"
DESCRIPTIONS = {
    "Elb.RegistrationInProgress": "Target registration is in progress",
    "Elb.InitialHealthChecking": "Initial health checks in progress",
    "Target.Timeout": "Request timed out",
    "Target.DeregistrationInProgress": "Target deregistration is in progress",
    "Target.NotRegistered": "Target is not registered to the target group",
    "Target.HealthCheckDisabled": "Health checks are disabled",
}


class TargetLog:
    """When ECS registered task sets (and services) with their target groups, and the targets still draining."""

    def __init__(self):
        self._lock = threading.Lock()
        self.registered: dict[str, datetime] = {}  # task set (or service) ARN -> when ECS registered its tasks
        self.draining: dict[str, list[tuple[dict, datetime]]] = {}  # target group ARN -> [(target, drained at)]

    def state(self) -> dict:
        with self._lock:
            return {"registered": dict(self.registered), "draining": {k: list(v) for k, v in self.draining.items()}}

    def restore(self, state: dict) -> None:
        with self._lock:
            self.registered.update(state.get("registered", {}))
            self.draining.update(state.get("draining", {}))

    def clear(self) -> None:
        with self._lock:
            self.registered.clear()
            self.draining.clear()

    def register(self, arn: str, when: datetime) -> None:
        with self._lock:
            self.registered.setdefault(arn, when)

    def drain(self, target_group_arn: str, targets: list[dict], until: datetime) -> None:
        with self._lock:
            self.draining.setdefault(target_group_arn, []).extend((t, until) for t in targets)

    def still_draining(self, target_group_arn: str, now: datetime) -> list[dict]:
        with self._lock:
            left = [(t, until) for t, until in self.draining.get(target_group_arn, []) if until > now]
            self.draining[target_group_arn] = left
            return [t for t, _ in left]


def observe_ecs(world, req, body: bytes) -> None:
    """After ECS answered CreateService, CreateTaskSet or DeleteTaskSet: note the registration or start draining."""
    data = json.loads(body)
    now = world.clock.now()
    if req.operation == "CreateService":
        service = data.get("service") or {}
        for owner in [service, *(service.get("taskSets") or [])]:
            world.targets.register(owner.get("taskSetArn") or owner.get("serviceArn"), now)
    elif req.operation == "CreateTaskSet":
        world.targets.register(data["taskSet"]["taskSetArn"], now)
    elif req.operation == "DeleteTaskSet":
        aws = RegionAws(world.clients, req.region, req.account)
        task_set = {**data["taskSet"], "status": "ACTIVE"}
        for registration in ecs_targets.registered_in({"taskSets": [task_set]}):
            drain(world, aws, registration)


def drain(world, aws, registration) -> None:
    """ECS deregistered these tasks: they drain for the group's deregistration delay."""
    delay = _attribute(aws, registration.target_group_arn, "deregistration_delay.timeout_seconds", 300)
    until = world.clock.now() + timedelta(seconds=delay)
    world.targets.drain(registration.target_group_arn, ecs_targets.targets(aws, registration), until)


def _attribute(aws, target_group_arn: str, key: str, default: int) -> int:
    try:
        attributes = aws.elbv2.describe_target_group_attributes(TargetGroupArn=target_group_arn)["Attributes"]
    except ClientError:
        return default
    return int(next((a["Value"] for a in attributes if a["Key"] == key), default))


def health(target_group: dict, registered_at: datetime | None, now: datetime, fault) -> dict:
    """The TargetHealth of a task registered at `registered_at` whose image has `fault` (or None)."""
    if target_group.get("HealthCheckEnabled") is False:
        return _state("unavailable", "Target.HealthCheckDisabled")
    interval = int(target_group.get("HealthCheckIntervalSeconds") or 30)
    age = (now - registered_at).total_seconds() if registered_at else float("inf")
    if age < interval:
        return _state("initial", "Elb.RegistrationInProgress")
    failure = _failure(target_group, fault)
    if failure is None:
        return {"State": "healthy"}
    if age < interval * int(target_group.get("UnhealthyThresholdCount") or 2):
        return _state("initial", "Elb.InitialHealthChecking")
    return {"State": "unhealthy", "Reason": failure[0], "Description": failure[1]}


def _failure(target_group: dict, fault) -> tuple[str, str] | None:
    if fault is None:
        return None
    if fault.mode == "status" and not _code_matches((target_group.get("Matcher") or {}).get("HttpCode"), fault.status):
        return "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{fault.status}]"
    if fault.mode == "slow" and fault.seconds > int(target_group.get("HealthCheckTimeoutSeconds") or 5):
        return "Target.Timeout", DESCRIPTIONS["Target.Timeout"]
    return None


def _code_matches(matcher: str | None, code: int) -> bool:
    for part in (matcher or "200").split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= code <= int(high or low):
            return True
    return False


def _state(state: str, reason: str) -> dict:
    return {"State": state, "Reason": reason, "Description": DESCRIPTIONS[reason]}


def descriptions(world, aws, target_group_arn: str) -> list[dict]:
    """TargetHealthDescriptions of the tasks ECS registered to the group, and of those still draining."""
    group = aws.elbv2.describe_target_groups(TargetGroupArns=[target_group_arn])["TargetGroups"][0]
    now = world.clock.now()
    found = []
    for registration in ecs_targets.registrations(aws, target_group_arn):
        _, image = ecs_targets.container_image(aws, registration)
        fault = world.faults.unhealthy_image(ecs_targets.image_names(world.clients, image)[1])
        state = health(group, world.targets.registered.get(registration.arn), now, fault)
        found += [_description(group, t, state) for t in ecs_targets.targets(aws, registration)]
    for target in world.targets.still_draining(target_group_arn, now):
        found.append(_description(group, target, _state("draining", "Target.DeregistrationInProgress")))
    return found


def _description(group: dict, target: dict, state: dict) -> dict:
    port = group.get("HealthCheckPort") or "traffic-port"
    return {
        "Target": target,
        "HealthCheckPort": str(target["Port"]) if port == "traffic-port" else port,
        "TargetHealth": state,
    }


def describe_target_health(app, req, environ, start_response):
    """moto's answer (it checks the group exists and knows targets registered by hand), with ECS's targets added."""
    status, headers, body = app.moto_answer(environ)
    if not status.startswith("200"):
        start_response(status, headers)
        return [body]
    world = app.sandbox.world
    params = parse_qs(req.body.decode("utf-8", "replace"))
    aws = RegionAws(world.clients, req.region, req.account)
    ours = descriptions(world, aws, params["TargetGroupArn"][0])
    known = {d["Target"]["Id"] for d in ours}
    from_moto = [d for d in _read_moto(body) if d["Target"]["Id"] not in known]
    asked = [v[0] for k, v in sorted(params.items()) if k.startswith("Targets.member.") and k.endswith(".Id")]
    answer = [d for d in ours if not asked or d["Target"]["Id"] in asked] + from_moto
    payload = _xml(answer).encode()
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(payload)))]
    start_response(status, headers)
    return [payload]


def _read_moto(body: bytes) -> list[dict]:
    found = []
    for member in ET.fromstring(body).iter(f"{NAMESPACE}member"):  # noqa: S314 - moto's own answer
        target = member.find(f"{NAMESPACE}Target")
        if target is None:
            continue
        item = {"Target": {c.tag.removeprefix(NAMESPACE): c.text for c in target}}
        item["Target"]["Port"] = int(item["Target"].get("Port") or 0)
        health_node = member.find(f"{NAMESPACE}TargetHealth")
        state = {c.tag.removeprefix(NAMESPACE): c.text for c in health_node} if health_node is not None else {}
        if state.get("Reason") == "Target.NotRegistered":  # moto says `unavailable`; AWS `unused`
            state = {
                "State": "unused",
                "Reason": "Target.NotRegistered",
                "Description": DESCRIPTIONS["Target.NotRegistered"],
            }
        item["HealthCheckPort"] = str(item["Target"]["Port"])
        item["TargetHealth"] = state
        found.append(item)
    return found


def _xml(items: list[dict]) -> str:
    def node(name, value):
        if isinstance(value, dict):
            return f"<{name}>{''.join(node(k, v) for k, v in value.items() if v is not None)}</{name}>"
        return f"<{name}>{escape(str(value))}</{name}>"

    members = "".join(node("member", item) for item in items)
    return (
        '<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
        f"<DescribeTargetHealthResult><TargetHealthDescriptions>{members}</TargetHealthDescriptions>"
        f"</DescribeTargetHealthResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</DescribeTargetHealthResponse>"
    )
