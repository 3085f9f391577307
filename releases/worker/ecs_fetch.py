"""What a refresh asks ECS and ELB about an ECS blue/green service (no CodeDeploy), with few calls.

One list_service_deployments of the deployments created since the newest known one (less a margin: the listing's
order and consistency are not documented), then describe_service_deployments only of those that are new or were
active, describe_service_revisions once per revision (a revision never changes), and describe_rules of the
production and test listener rules (the traffic split) only while a deployment is active or has just moved. An
idle service costs one call a refresh. Runs in workers only.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from releases.service_deployments import ACTIVE

LISTING_MARGIN = timedelta(minutes=5)
DESCRIBE_BATCH = 20  # describe_service_deployments and describe_service_revisions take at most 20 ARNs


@dataclass
class SeenService:
    deployments: dict = field(default_factory=dict)  # arn -> describe_service_deployments' view
    revisions: dict = field(default_factory=dict)  # revision arn -> {task_definition, image, target_group}
    rules: dict | None = None  # {"production": {target group arn: weight}, "test": {...}}; None: not read


def fetch(target, meter):
    known = dict(target.service_deployments.values_list("arn", "status"))
    newest = target.service_deployments.order_by("-created_at").values_list("created_at", flat=True).first()
    seen = SeenService()
    listed = _listed(target, meter, newest)
    wanted = [d["serviceDeploymentArn"] for d in listed if known.get(d["serviceDeploymentArn"]) != d["status"]]
    wanted += [arn for arn, status in known.items() if status in ACTIVE and arn not in wanted]
    for start in range(0, len(wanted), DESCRIBE_BATCH):
        answer = meter.call(
            "ecs", "describe_service_deployments", serviceDeploymentArns=wanted[start : start + DESCRIBE_BATCH]
        )
        for view in answer.get("serviceDeployments", []):
            seen.deployments[view["serviceDeploymentArn"]] = view
    _revisions(target, meter, seen)
    if seen.deployments:
        seen.rules = _rules(target, meter)
    return seen


def _listed(target, meter, newest):
    params = {"cluster": target.cluster_name, "service": target.service_name}
    if newest:
        params["createdAt"] = {"after": newest - LISTING_MARGIN}
    listed = []
    while True:
        answer = meter.call("ecs", "list_service_deployments", **params)
        listed += answer.get("serviceDeployments", [])
        if not answer.get("nextToken"):
            return listed
        params["nextToken"] = answer["nextToken"]


def _revisions(target, meter, seen):
    known = {}
    for source, revision in target.service_deployments.values_list("source_revisions", "target_revision"):
        for item in [*(source or []), revision or {}]:
            if item.get("task_definition"):
                known[item["arn"]] = item
    wanted = set()
    for view in seen.deployments.values():
        for summary in [*view.get("sourceServiceRevisions", []), view.get("targetServiceRevision") or {}]:
            if summary.get("arn") and summary["arn"] not in known:
                wanted.add(summary["arn"])
    seen.revisions.update({arn: {k: v for k, v in item.items() if k != "arn"} for arn, item in known.items()})
    wanted = sorted(wanted)
    for start in range(0, len(wanted), DESCRIBE_BATCH):
        answer = meter.call(
            "ecs", "describe_service_revisions", serviceRevisionArns=wanted[start : start + DESCRIBE_BATCH]
        )
        for revision in answer.get("serviceRevisions", []):
            images = revision.get("containerImages") or [{}]
            balancers = (revision.get("resolvedConfiguration") or {}).get("loadBalancers") or [{}]
            seen.revisions[revision["serviceRevisionArn"]] = {
                "task_definition": revision.get("taskDefinition", ""),
                "image": images[0].get("image", ""),
                "target_group": balancers[0].get("targetGroupArn", ""),
            }


def _rules(target, meter):
    ecs = target.setup.get("ecs") or {}
    arns = {name: ecs.get(f"{name}_rule") for name in ("production", "test") if ecs.get(f"{name}_rule")}
    if not arns:
        return None
    answer = meter.call("elbv2", "describe_rules", RuleArns=list(arns.values()))
    by_arn = {rule["RuleArn"]: rule for rule in answer.get("Rules", [])}
    weights = {}
    for name, arn in arns.items():
        for action in (by_arn.get(arn) or {}).get("Actions", []):
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
            if groups:
                weights[name] = {g["TargetGroupArn"]: int(g.get("Weight", 0)) for g in groups}
    return weights
