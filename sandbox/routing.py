"""How an Application Load Balancer listener picks what answers a request: its rules in priority order, the first
whose conditions all match, else the default rule; then the rule's first action that answers (forward,
fixed-response, redirect). Elastic Load Balancing user guide for ALBs, "Listener rules" (condition types, wildcards:
`*` and `?`, path patterns case-sensitive, host names not) and "Rule action types" (weighted forward).
"""

import ipaddress
import random
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    @property
    def host(self) -> str:
        host = self.headers.get("host", "")
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@dataclass
class Action:
    kind: str  # forward | fixed-response | redirect | none
    target_group_arn: str | None = None
    status: int = 503
    content_type: str = "text/plain"
    body: str = ""
    location: str = ""


def choose(rules: list[dict], request: Request, listener: dict) -> Action:
    """The action that answers `request` on a listener (DescribeListeners) with these rules (DescribeRules); the
    default rule is the listener's default actions."""
    ordered = sorted((r for r in rules if not r.get("IsDefault")), key=lambda r: int(r["Priority"]))
    for rule in ordered:
        if all(_matches(condition, request) for condition in rule.get("Conditions") or []):
            return _action(rule.get("Actions") or [], request, listener)
    return _action(listener.get("DefaultActions") or [], request, listener)


def _matches(condition: dict, request: Request) -> bool:
    field_name = condition.get("Field")
    if field_name == "path-pattern":
        values = (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values") or []
        return any(_wildcard(v).fullmatch(request.path) for v in values)
    if field_name == "host-header":
        values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values") or []
        return any(_wildcard(v, re.IGNORECASE).fullmatch(request.host) for v in values)
    if field_name == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        value = request.headers.get((config.get("HttpHeaderName") or "").lower())
        return value is not None and any(_wildcard(v, re.IGNORECASE).fullmatch(value) for v in config.get("Values", []))
    if field_name == "http-request-method":
        return request.method in ((condition.get("HttpRequestMethodConfig") or {}).get("Values") or [])
    if field_name == "query-string":
        pairs = parse_qsl(request.query, keep_blank_values=True)
        wanted = (condition.get("QueryStringConfig") or {}).get("Values") or []
        return any(
            any(
                (w.get("Key") is None or _wildcard(w["Key"], re.IGNORECASE).fullmatch(k))
                and _wildcard(w.get("Value", ""), re.IGNORECASE).fullmatch(v)
                for k, v in pairs
            )
            for w in wanted
        )
    if field_name == "source-ip":
        cidrs = (condition.get("SourceIpConfig") or {}).get("Values") or []
        return any(ipaddress.ip_address("127.0.0.1") in ipaddress.ip_network(c, strict=False) for c in cidrs)
    return False


def _wildcard(pattern: str, flags: int = 0) -> re.Pattern:
    """ALB patterns: `*` any characters, `?` exactly one."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), flags | re.DOTALL)


def _action(actions: list[dict], request: Request, listener: dict) -> Action:
    for action in sorted(actions, key=lambda a: int(a.get("Order") or 0)):
        kind = action.get("Type")
        if kind == "forward":
            return Action("forward", target_group_arn=_weighted(action))
        if kind == "fixed-response":
            config = action.get("FixedResponseConfig") or {}
            return Action(
                "fixed-response",
                status=int(config.get("StatusCode") or 200),
                content_type=config.get("ContentType") or "text/plain",
                body=config.get("MessageBody") or "",
            )
        if kind == "redirect":
            return _redirect(action.get("RedirectConfig") or {}, request, listener)
    return Action("none")


def _weighted(action: dict) -> str | None:
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
    if not groups:
        return action.get("TargetGroupArn")
    weights = [int(g.get("Weight", 1)) for g in groups]
    if not any(weights):
        return None
    return random.choices([g["TargetGroupArn"] for g in groups], weights=weights)[0]  # noqa: S311 - not for secrets


def _redirect(config: dict, request: Request, listener: dict) -> Action:
    values = {
        "protocol": (listener.get("Protocol") or "HTTP").lower(),
        "host": request.host,
        "port": str(listener.get("Port") or ""),
        "path": request.path.lstrip("/"),
        "query": request.query,
    }

    def fill(template: str) -> str:
        return re.sub(r"#\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)

    protocol = fill(config.get("Protocol") or "#{protocol}").lower()
    location = f"{protocol}://{fill(config.get('Host') or '#{host}')}:{fill(config.get('Port') or '#{port}')}"
    location += "/" + fill(config.get("Path") or "/#{path}").lstrip("/")
    query = fill(config.get("Query") or "#{query}")
    if query:
        location += f"?{query}"
    return Action("redirect", status=302 if config.get("StatusCode") == "HTTP_302" else 301, location=location)
