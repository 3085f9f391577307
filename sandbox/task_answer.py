"""What a request to a listener's local port gets: the answer of a task of the ECS task set the listener routes it to
(routing.py), or the load balancer's own 503 when no task is registered to that target group, as an ALB answers with
no targets (ELB user guide for ALBs, "Troubleshoot your Application Load Balancers": HTTP 503).

Every path answers the same page, JSON when `Accept` includes `application/json`. An `unhealthy_image` fault on the
task's image makes it answer a 5xx (`status`), late (`slow`; past the load balancer's idle timeout the ALB answers
504) or a degraded page (`wrong_body`).
"""

import html
import json
import random
from dataclasses import dataclass, field

from sandbox import ecs_targets, routing
from sandbox.aws import ClientError, RegionAws

NORMAL_TEXT = "This task answers normally."
COLOURS = {"blue": "#1f6feb", "green": "#1a7f37"}
ALB_REASONS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}
IDLE_TIMEOUT_SECONDS = 60  # an ALB's default idle_timeout.timeout_seconds


@dataclass
class Listener:
    account: str
    region: str
    arn: str
    load_balancer_arn: str
    port: int
    protocol: str

    @property
    def load_balancer_name(self) -> str:
        return self.load_balancer_arn.split("/")[-2]


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    server: str = "awselb/2.0"
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # real seconds before it is sent


def answer(world, listener: Listener, request: routing.Request) -> Response:
    aws = RegionAws(world.clients, listener.region, listener.account)
    try:
        described = aws.elbv2.describe_listeners(ListenerArns=[listener.arn])["Listeners"][0]
        rules = aws.elbv2.describe_rules(ListenerArn=listener.arn)["Rules"]
    except ClientError:
        return alb_error(503)
    action = routing.choose(rules, request, described)
    if action.kind == "fixed-response":
        return Response(action.status, action.body.encode(), action.content_type)
    if action.kind == "redirect":
        return Response(action.status, b"", headers=[("Location", action.location)])
    registrations = ecs_targets.registrations(aws, action.target_group_arn) if action.target_group_arn else []
    if not registrations:
        return alb_error(503)
    registration = random.choices(registrations, weights=[r.running for r in registrations])[0]  # noqa: S311
    task_definition, image = ecs_targets.container_image(aws, registration)
    digest, names = ecs_targets.image_names(world.clients, image)
    group_name = action.target_group_arn.split("/")[-2]
    document = {
        "status": "ok",
        "color": colour(world, aws, listener, group_name),
        "image": image,
        "image_digest": digest,
        "task_definition": task_definition["taskDefinitionArn"],
        "revision": int(task_definition["revision"]),
        "task_set": registration.task_set,
        "target_group": group_name,
        "load_balancer": listener.load_balancer_name,
        "listener_port": int(described["Port"]),
    }
    return render(
        document, world.faults.unhealthy_image(names), "application/json" in request.headers.get("accept", "")
    )


def colour(world, aws, listener: Listener, group_name: str) -> str:
    """Blue for an ECS blue/green service's target group and green for its alternate one; blue for the first target
    group of a CodeDeploy deployment group's pair, green for the second; without either naming it, blue for the load
    balancer's first target group by name."""
    region = world.regions.get((listener.account, listener.region))
    for service in list(region.ecs_native.services.values()) if region else []:  # ECS's own blue/green
        names = [service["lb"][key].split("/")[-2] for key in ("targetGroupArn", "alternateTargetGroupArn")]
        if group_name in names:
            return "blue" if names.index(group_name) == 0 else "green"
    for group in list(region.codedeploy.groups.values()) if region else []:
        for pair in (group.get("loadBalancerInfo") or {}).get("targetGroupPairInfoList") or []:
            names = [g.get("name") for g in pair.get("targetGroups") or []]
            if group_name in names:
                return "blue" if names.index(group_name) == 0 else "green"
    groups = aws.elbv2.describe_target_groups(LoadBalancerArn=listener.load_balancer_arn)["TargetGroups"]
    names = sorted(g["TargetGroupName"] for g in groups)
    return "blue" if not names or names[0] == group_name else "green"


def render(document: dict, fault, wants_json: bool) -> Response:
    status, delay = 200, 0.0
    if fault is not None and fault.mode == "slow":
        if fault.seconds > IDLE_TIMEOUT_SECONDS:
            return alb_error(504, delay=IDLE_TIMEOUT_SECONDS)
        delay = float(fault.seconds)
    elif fault is not None and fault.mode == "status":
        status, document = int(fault.status), {**document, "status": "error"}
    elif fault is not None:
        document = {**document, "status": "degraded"}
    if wants_json:
        body = json.dumps(document).encode()
        return Response(status, body, "application/json", server="nginx", delay=delay)
    return Response(status, _page(document, status).encode(), server="nginx", delay=delay)


def _page(document: dict, status: int) -> str:
    if status >= 500:
        title = f"{status} Internal Server Error" if status == 500 else f"{status} Error"
        heading = f"<center><h1>{title}</h1></center><hr><center>nginx</center>"
        return f"<html><head><title>{title}</title></head><body>{heading}</body></html>"
    e = {k: html.escape(str(v)) for k, v in document.items()}
    family_revision = e["task_definition"].rsplit("/", 1)[-1]
    digest = e["image_digest"] if document["image_digest"] else "not in ECR"
    if document["status"] == "degraded":
        headline, note = "Sample website — degraded", "<p>Something is wrong with this task.</p>"
    else:
        headline, note = f"Sample website — {e['color']}", f"<p>{NORMAL_TEXT}</p>"
    return (
        f"<!DOCTYPE html><html><head><title>{headline}</title><style>body{{background:{COLOURS[document['color']]};"
        "color:#fff;font-family:sans-serif;padding:2em}dt{font-weight:bold}</style></head>"
        f"<body><h1>{headline}</h1>{note}<dl><dt>Image</dt><dd>{e['image']}</dd><dt>Digest</dt><dd>{digest}</dd>"
        f"<dt>Task definition</dt><dd>{family_revision}</dd><dt>Task set</dt><dd>{e['task_set']}</dd>"
        f"<dt>Target group</dt><dd>{e['target_group']}</dd><dt>Load balancer</dt><dd>{e['load_balancer']}:"
        f"{e['listener_port']}</dd></dl></body></html>"
    )


def alb_error(status: int, delay: float = 0.0) -> Response:
    title = f"{status} {ALB_REASONS[status]}"
    heading = f"<center><h1>{title}</h1></center>"
    body = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n{heading}\r\n</body>\r\n</html>\r\n"
    return Response(status, body.encode(), "text/html", delay=delay)
