"""boto3 clients the emulation uses to act on the moto part over HTTP, through public AWS APIs.

These calls carry the `sandbox-internal` user-agent mark, so they are neither counted in
`/_sandbox/calls` nor subject to faults, and do not trigger pipelines. Each client acts in one
account: it sends moto's `x-moto-account-id` header, which the sandbox reads too (wire.account_of).
"""

import threading

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.wire import ACCOUNT_HEADER, DEFAULT_ACCOUNT, INTERNAL_AGENT_MARK

__all__ = ["DEFAULT_ACCOUNT", "Clients", "ClientError"]


class Clients:
    """Per-account, per-region boto3 clients against the sandbox's own endpoint, created once and shared."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self._clients: dict[tuple[str, str, str], object] = {}
        self._config = Config(
            user_agent_extra=INTERNAL_AGENT_MARK,
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )

    def get(self, service: str, region: str, account: str = DEFAULT_ACCOUNT):
        key = (service, region, account)
        with self._lock:
            if key not in self._clients:
                client = self._session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self._config
                )
                client.meta.events.register("before-sign", _in_account(account))
                self._clients[key] = client
            return self._clients[key]


def _in_account(account: str):
    def add_header(request, **kwargs):
        request.headers[ACCOUNT_HEADER] = account

    return add_header


class RegionAws:
    """The clients of one account's region, with the few ECS/ELBv2 helpers the emulation needs."""

    def __init__(self, clients: Clients, region: str, account: str = DEFAULT_ACCOUNT):
        self.region = region
        self.account = account
        self._clients = clients

    def client(self, service: str):
        return self._clients.get(service, self.region, self.account)

    @property
    def ecs(self):
        return self.client("ecs")

    @property
    def elbv2(self):
        return self.client("elbv2")

    @property
    def ecr(self):
        return self.client("ecr")

    @property
    def s3(self):
        return self.client("s3")

    @property
    def iam(self):
        return self.client("iam")

    @property
    def events(self):
        return self.client("events")

    @property
    def sqs(self):
        return self.client("sqs")

    # ---- ELBv2 -----------------------------------------------------------------------------------

    def target_group_arns(self, names: list[str]) -> dict[str, str]:
        groups = self.elbv2.describe_target_groups(Names=names)["TargetGroups"]
        return {g["TargetGroupName"]: g["TargetGroupArn"] for g in groups}

    def listener_weights(self, listener_arn: str) -> dict[str, int]:
        """Target group ARN -> weight of the listener's forward action."""
        listener = self.elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
        weights: dict[str, int] = {}
        for action in listener.get("DefaultActions", []):
            if action.get("Type") != "forward":
                continue
            groups = action.get("ForwardConfig", {}).get("TargetGroups")
            if groups:
                for group in groups:
                    weights[group["TargetGroupArn"]] = int(group.get("Weight", 1))
            elif action.get("TargetGroupArn"):
                weights[action["TargetGroupArn"]] = 100
        return weights

    def forward(self, listener_arn: str, weights: dict[str, int]) -> None:
        """Point a listener at one target group, or split it by weight."""
        live = {arn: w for arn, w in weights.items() if w > 0}
        if len(live) == 1:
            (arn,) = live
            action = {"Type": "forward", "TargetGroupArn": arn}
        else:
            action = {
                "Type": "forward",
                "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": a, "Weight": w} for a, w in weights.items()]},
            }
        self.elbv2.modify_listener(ListenerArn=listener_arn, DefaultActions=[action])

    def rule_weights(self, rule_arn: str) -> dict[str, int]:
        """Target group ARN -> weight of a listener rule's forward action (or a listener's, for an NLB)."""
        if ":listener-rule/" in rule_arn:
            actions = self.elbv2.describe_rules(RuleArns=[rule_arn])["Rules"][0].get("Actions", [])
        else:
            actions = self.elbv2.describe_listeners(ListenerArns=[rule_arn])["Listeners"][0].get("DefaultActions", [])
        weights: dict[str, int] = {}
        for action in actions:
            if action.get("Type") != "forward":
                continue
            for group in action.get("ForwardConfig", {}).get("TargetGroups") or []:
                weights[group["TargetGroupArn"]] = int(group.get("Weight", 1))
            if not weights and action.get("TargetGroupArn"):
                weights[action["TargetGroupArn"]] = 100
        return weights

    def forward_rule(self, rule_arn: str, weights: dict[str, int]) -> None:
        """Set a listener rule's (or an NLB listener's) forward action to these weights, zeros kept, as ECS does."""
        action = {
            "Type": "forward",
            "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": a, "Weight": int(w)} for a, w in weights.items()]},
        }
        if ":listener-rule/" in rule_arn:
            self.elbv2.modify_rule(RuleArn=rule_arn, Actions=[action])
        else:
            self.elbv2.modify_listener(ListenerArn=rule_arn, DefaultActions=[action])

    # ---- ECS ---------------------------------------------------------------------------------

    def service(self, cluster: str, service: str) -> dict | None:
        found = self.ecs.describe_services(cluster=cluster, services=[service])["services"]
        return found[0] if found else None
