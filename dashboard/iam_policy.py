"""Least-privilege IAM policy documents made from the registry of AWS operations (`aws_operations`)."""

import json

from .aws_operations import (
    ROLES,
    WIZARD_ROLES,
    operations,
)

MANAGED_POLICY_MAX = 6144  # characters, not counting whitespace (IAM quotas)
SERVICE_LINKED_ROLE_NAMES = {
    "ecs.amazonaws.com": "AWSServiceRoleForECS",
    "elasticloadbalancing.amazonaws.com": "AWSServiceRoleForElasticLoadBalancing",
}


def role_names(overrides=None, setup=""):
    """The role names the wizard passes: its defaults ("<setup>-codedeploy", or "*-codedeploy" for any setup)."""
    names = {key: default.replace("*", setup, 1) if setup else default for key, (_, default) in ROLES.items()}
    names.update({key: value for key, value in (overrides or {}).items() if value})
    return names


def role_arn(name, account="*", partition="aws"):
    return f"arn:{partition}:iam::{account}:role/{name}"


def passes(part, names, account="*", partition="aws"):
    """(role ARN, service) pairs the part passes."""
    found = set()
    for operation in operations(part):
        for key in operation.passes:
            found.add((role_arn(names[key], account, partition), ROLES[key][0]))
    return sorted(found)


def linked_services(part):
    return sorted({service for operation in operations(part) for service in operation.links})


def statements(part, *, account="*", partition="aws", roles=None, setup="", only=None):
    """The policy's statements; `only` keeps just those IAM actions (for a snippet of what is denied)."""
    names = role_names(roles, setup)
    keep = (lambda action: action in only) if only is not None else (lambda action: True)
    plain, on_roles = set(), set()
    for operation in operations(part):
        target = on_roles if operation.resource == WIZARD_ROLES else plain
        target.update(action for action in operation.iam_actions if keep(action))
    found = []
    if plain:
        found.append({"Sid": "Operations", "Effect": "Allow", "Action": sorted(plain), "Resource": "*"})
    if on_roles:
        arns = sorted({role_arn(name, account, partition) for name in names.values()})
        found.append({"Sid": "WizardRoles", "Effect": "Allow", "Action": sorted(on_roles), "Resource": arns})
    if keep("iam:PassRole"):
        by_service = {}
        for arn, service in passes(part, names, account, partition):
            by_service.setdefault(service, []).append(arn)
        for service, arns in sorted(by_service.items()):
            found.append(
                {
                    "Sid": "PassRoleTo" + "".join(w.capitalize() for w in service.split(".")[0].split("-")),
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": arns if len(arns) > 1 else arns[0],
                    "Condition": {"StringEquals": {"iam:PassedToService": service}},
                }
            )
    services = linked_services(part)
    if services and keep("iam:CreateServiceLinkedRole"):
        found.append(
            {
                "Sid": "ServiceLinkedRolesOnFirstUse",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": f"arn:{partition}:iam::{account}:role/aws-service-role/*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": services}},
            }
        )
    return found


def compact(document):
    return json.dumps(document, separators=(",", ":"))


def documents(parts, **options):
    """The policy for the given parts as one document, or several when one would pass IAM's managed-policy
    size limit."""
    found = []
    for part in parts:
        found += statements(part, **options)
    return split(merge(found))


def merge(found):
    """Statements of several parts as one list: one statement per Sid, with the union of actions and resources."""
    merged = {}
    for statement in found:
        if statement["Sid"] not in merged:
            merged[statement["Sid"]] = json.loads(json.dumps(statement))
            continue
        kept = merged[statement["Sid"]]
        for field in ("Action", "Resource"):
            kept[field] = _union(kept[field], statement[field])
        for operator, keys in statement.get("Condition", {}).items():
            for key, value in keys.items():
                kept["Condition"][operator][key] = _union(kept["Condition"][operator][key], value)
    return list(merged.values())


def _union(one, other):
    values = sorted(set(_as_list(one)) | set(_as_list(other)))
    return values if len(values) > 1 else values[0]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def split(pending):
    """Statements packed into as few documents as IAM's managed-policy size limit allows."""
    pending = list(pending)
    result, current = [], []
    while pending:
        statement = pending.pop(0)
        candidate = current + [statement]
        if len(compact(_document(candidate))) <= MANAGED_POLICY_MAX:
            current = candidate
            continue
        if current:
            result.append(_document(current))
            current = []
            pending.insert(0, statement)
        elif isinstance(statement["Action"], list) and len(statement["Action"]) > 1:
            half = len(statement["Action"]) // 2
            first, second = dict(statement), dict(statement)
            first["Action"], second["Action"] = statement["Action"][:half], statement["Action"][half:]
            first["Sid"], second["Sid"] = statement["Sid"] + "1", statement["Sid"] + "2"
            pending[:0] = [first, second]
        else:
            raise ValueError(f"statement {statement['Sid']} alone is over {MANAGED_POLICY_MAX} characters")
    if current:
        result.append(_document(current))
    return result


def _document(statements):
    return {"Version": "2012-10-17", "Statement": statements}
