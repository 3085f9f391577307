"""Load balancers that answer: every listener of every load balancer (any account, region) is served over HTTP on a
local port of 127.0.0.1, answering as the ECS task set it routes to would (task_answer.py).

A port is opened when the listener exists: created (`CreateListener`, seen in the WSGI layer) or found when the
sandbox starts or restores its state (`restore()`); it is closed when the listener or its load balancer is deleted,
or on a reset. Ports are any free ones; after a restart each listener gets its former port back when it is free.
`GET /_sandbox/load-balancers` lists them (`listing()`).
"""

import logging
import threading
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

from sandbox import target_health, task_answer
from sandbox.aws import ClientError, RegionAws
from sandbox.listener_ports import ListenerPorts
from sandbox.task_answer import Listener

log = logging.getLogger("sandbox")
OBSERVED = {
    ("elbv2", "CreateListener"),
    ("elbv2", "DeleteListener"),
    ("elbv2", "DeleteLoadBalancer"),
    ("elbv2", "DescribeTargetHealth"),
    ("ecs", "CreateService"),
    ("ecs", "CreateTaskSet"),
    ("ecs", "DeleteTaskSet"),
}


class LoadBalancers:
    def __init__(self, world, host: str = "127.0.0.1", advertised_host: str = "", port_range=None):
        """Listeners are served on `host` (ports from `port_range` when given) and named by `advertised_host`,
        the name other processes reach the sandbox by (the compose service's name in a container)."""
        self.world = world
        wildcard = host in ("0.0.0.0", "::", "")  # noqa: S104 - a name to advertise, not a bind
        self.host = advertised_host or ("127.0.0.1" if wildcard else host)
        self._lock = threading.Lock()
        self.listeners: dict[str, Listener] = {}  # by listener ARN
        self.ports: dict[str, int] = {}  # listener ARN -> local port (kept across restarts as a preference)
        self._ports = ListenerPorts(self._answer, host, port_range)

    def _answer(self, listener_arn: str, request):
        listener = self.listeners.get(listener_arn)
        if listener is None:
            return task_answer.alb_error(503)
        return task_answer.answer(self.world, listener, request)

    def local_url(self, listener_arn: str) -> str | None:
        port = self.ports.get(listener_arn) if listener_arn in self.listeners else None
        return f"http://{self.host}:{port}" if port else None

    # ---- opening and closing ----------------------------------------------------------------

    def serve(self, listener: Listener) -> None:
        port = self._ports.open(listener.arn, self.ports.get(listener.arn, 0))
        with self._lock:
            self.listeners[listener.arn] = listener
            self.ports[listener.arn] = port

    def forget(self, listener_arn: str) -> None:
        self._ports.close(listener_arn)
        with self._lock:
            self.listeners.pop(listener_arn, None)
            self.ports.pop(listener_arn, None)

    def restore(self) -> None:
        """Serve every listener moto holds (at start, after loading a state), and only those."""
        found = {}
        for account, region in _regions():
            aws = RegionAws(self.world.clients, region, account)
            for lb in _load_balancers(aws):
                for listener in _listeners(aws, lb["LoadBalancerArn"]):
                    found[listener["ListenerArn"]] = Listener(
                        account,
                        region,
                        listener["ListenerArn"],
                        lb["LoadBalancerArn"],
                        listener["Port"],
                        listener["Protocol"],
                    )
        for arn in set(self.listeners) - set(found):
            self.forget(arn)
        for listener in found.values():
            self.serve(listener)

    def reset(self) -> None:
        self._ports.close_all()
        with self._lock:
            self.listeners.clear()
            self.ports.clear()

    def stop(self) -> None:
        self._ports.stop()

    def state(self) -> dict:
        with self._lock:
            return {"ports": dict(self.ports)}

    def restore_state(self, state: dict) -> None:
        with self._lock:
            self.ports.update(state.get("ports", {}))

    # ---- the WSGI layer ---------------------------------------------------------------------

    def handle(self, app, req, environ, start_response):
        """Answer one of the OBSERVED calls: moto answers, then the listener ports and target log follow it."""
        if req.operation == "DescribeTargetHealth":
            return target_health.describe_target_health(app, req, environ, start_response)
        status, headers, body = app.moto_answer(environ)
        start_response(status, headers)
        if status.startswith("200"):
            try:
                self._observe(req, body)
            except Exception:  # noqa: BLE001 - the call succeeded; a failure to follow it is logged
                log.exception("could not follow %s %s", req.service, req.operation)
        return [body]

    def _observe(self, req, body: bytes) -> None:
        if req.service == "ecs":
            target_health.observe_ecs(self.world, req, body)
            return
        params = parse_qs(req.body.decode("utf-8", "replace"))
        if req.operation == "CreateListener":
            member = _fields(ET.fromstring(body))  # noqa: S314 - moto's own answer
            listener = Listener(
                req.account,
                req.region,
                member["ListenerArn"],
                member["LoadBalancerArn"],
                int(member["Port"]),
                member["Protocol"],
            )
            self.serve(listener)
        elif req.operation == "DeleteListener":
            self.forget(params["ListenerArn"][0])
        elif req.operation == "DeleteLoadBalancer":
            arn = params["LoadBalancerArn"][0]
            for listener in [li for li in self.listeners.values() if li.load_balancer_arn == arn]:
                self.forget(listener.arn)

    # ---- GET /_sandbox/load-balancers -----------------------------------------------------------

    def listing(self) -> list[dict]:
        out = []
        for account, region in _regions():
            aws = RegionAws(self.world.clients, region, account)
            for lb in _load_balancers(aws):
                listeners = sorted(_listeners(aws, lb["LoadBalancerArn"]), key=lambda li: li["Port"])
                out.append(
                    {
                        "account": account,
                        "region": region,
                        "load_balancer_name": lb["LoadBalancerName"],
                        "load_balancer_arn": lb["LoadBalancerArn"],
                        "dns_name": lb.get("DNSName"),
                        "listeners": [
                            {
                                "listener_arn": li["ListenerArn"],
                                "port": li["Port"],
                                "protocol": li["Protocol"],
                                "local_url": self.local_url(li["ListenerArn"]),
                            }
                            for li in listeners
                        ],
                    }
                )
        return sorted(out, key=lambda lb: (lb["account"], lb["region"], lb["load_balancer_name"]))


def _fields(root) -> dict[str, str]:
    """The first listener member of a CreateListener answer, its children by name (namespaces dropped)."""
    member = next(node for node in root.iter() if node.tag.endswith("}member") or node.tag == "member")
    return {child.tag.rsplit("}", 1)[-1]: child.text for child in member}


def _regions() -> list[tuple[str, str]]:
    """(account, region) of every ELBv2 backend moto has made."""
    from moto.backends import get_backend

    return [
        (account, region) for account, regions in dict(get_backend("elbv2")).items() for region in dict.keys(regions)
    ]


def _load_balancers(aws) -> list[dict]:
    try:
        pages = aws.elbv2.get_paginator("describe_load_balancers").paginate()
        return [lb for page in pages for lb in page["LoadBalancers"]]
    except ClientError:
        return []


def _listeners(aws, load_balancer_arn: str) -> list[dict]:
    try:
        pages = aws.elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=load_balancer_arn)
        return [li for page in pages for li in page["Listeners"]]
    except ClientError:
        return []
