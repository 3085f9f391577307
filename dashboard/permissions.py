"""The permissions pre-flight: which IAM actions the console and the wizard need that our own credentials lack.

Asks IAM to simulate the caller's policies (iam:SimulatePrincipalPolicy); where that is denied or impossible
(the root user, a federated user, an unknown principal), falls back to a few cheap read-only calls. Runs in
workers (the connection check) and in `manage.py check_aws`; returns a plain dict stored on the check's row.
"""

import json

from . import aws, iam_policy
from .aws_operations import PARTS, PROBES, ROLES, WIZARD_ROLES, operations

CHUNK = 128  # action names per SimulatePrincipalPolicy call
SAMPLE_SETUP = "sample"  # the wizard's role names are "<setup>-codedeploy": simulate them for this setup
CANNOT_SIMULATE = {"AccessDenied", "AccessDeniedException", "NoSuchEntity", "InvalidInput", "UnauthorizedOperation"}
DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}


def policy_source(arn):
    """The IAM entity whose policies decide for a caller ARN, or "" when IAM cannot simulate it."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    _, partition, service, _, account, resource = parts
    if resource == "root" or resource.startswith("federated-user/"):
        return ""
    if service == "sts" and resource.startswith("assumed-role/"):
        return f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    return arn


def requests(account, partition="aws"):
    """What to simulate: {(resource ARN, context): {action: set of parts}}."""
    roles = iam_policy.role_names(setup=SAMPLE_SETUP)
    wanted = {}

    def want(action, part, resource="*", context=()):
        wanted.setdefault((resource, context), {}).setdefault(action, set()).add(part)

    for part in PARTS:
        for operation in operations(part):
            for action in operation.iam_actions:
                if operation.resource == WIZARD_ROLES:
                    for name in sorted(roles.values()):
                        want(action, part, iam_policy.role_arn(name, account, partition))
                else:
                    want(action, part)
            for key in operation.passes:
                service = ROLES[key][0]
                want("iam:PassRole", part, iam_policy.role_arn(roles[key], account, partition), _context(service))
            for service in operation.links:
                name = iam_policy.SERVICE_LINKED_ROLE_NAMES[service]
                arn = iam_policy.role_arn(f"aws-service-role/{service}/{name}", account, partition)
                want("iam:CreateServiceLinkedRole", part, arn, (("iam:AWSServiceName", service),))
    return wanted


def _context(service):
    return (("iam:PassedToService", service),)


def simulate(source_arn, account, partition="aws", connection=None):
    """{part: sorted denied actions} and the number of actions asked about."""
    denied = {part: set() for part in PARTS}
    asked = set()
    for (resource, context), actions in requests(account, partition).items():
        names = sorted(actions)
        asked.update(names)
        extra = {"ContextEntries": [_entry(key, value) for key, value in context]} if context else {}
        for start in range(0, len(names), CHUNK):
            results = aws.paginate(
                "iam",
                "simulate_principal_policy",
                "EvaluationResults",
                connection,
                PolicySourceArn=source_arn,
                ActionNames=names[start : start + CHUNK],
                ResourceArns=[resource],
                **extra,
            )
            for result in results:
                if result["EvalDecision"] != "allowed":
                    for part in actions.get(result["EvalActionName"], ()):
                        denied[part].add(result["EvalActionName"])
    return {part: sorted(found) for part, found in denied.items()}, len(asked)


def _entry(key, value):
    return {"ContextKeyName": key, "ContextKeyValues": [value], "ContextKeyType": "string"}


def probe(connection=None):
    """The fallback: a few cheap reads, each allowed, denied, or failing otherwise."""
    found = []
    for service, operation, params in PROBES:
        try:
            aws.call(service, operation, connection, **params)
            found.append({"operation": f"{service}.{operation}", "outcome": "allowed"})
        except aws.AwsError as error:
            outcome = "denied" if error.code in DENIED_CODES else "error"
            found.append({"operation": f"{service}.{operation}", "outcome": outcome, "code": error.code})
    return found


def preflight(identity, connection=None):
    """The report for the caller `identity` (sts get_caller_identity's answer), asked through `connection` (the
    check's; None: the settings'). AWS errors other than "may not or cannot simulate" are raised, for the caller
    to show and offer a retry."""
    arn, account = identity["Arn"], identity["Account"]
    partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
    report = {"arn": arn, "account": account, "source_arn": policy_source(arn), "method": "simulation"}
    if report["source_arn"]:
        try:
            denied, asked = simulate(report["source_arn"], account, partition, connection)
        except aws.AwsError as error:
            if error.code not in CANNOT_SIMULATE:
                raise
            report["simulation_error"] = {"code": error.code, "message": error.message}
        else:
            report.update(denied=denied, asked=asked, snippets=snippets(denied, account, partition))
            return report
    report["method"] = "probes"
    report["probes"] = probe(connection)
    return report


def snippets(denied, account, partition):
    """Per part, the policy statements that would allow what is denied (empty when nothing is)."""
    return {
        part: iam_policy.statements(part, account=account, partition=partition, only=set(actions))
        for part, actions in denied.items()
        if actions
    }


def denied_count(report):
    if report.get("method") == "simulation":
        return len({action for actions in report["denied"].values() for action in actions})
    return sum(1 for probe in report.get("probes", []) if probe["outcome"] == "denied")


PART_LABELS = {"console": "the release console", "wizard": "the setup wizard"}


def denied_by_part(report):
    if report.get("method") != "simulation":
        return []
    return [
        (part, PART_LABELS.get(part, part), actions, json.dumps(report["snippets"][part], indent=2))
        for part, actions in report["denied"].items()
        if actions
    ]


def summary(report):
    """The report as lines of text (for `manage.py check_aws`)."""
    if report.get("method") == "simulation":
        if not denied_count(report):
            return [f"All {report['asked']} IAM actions allowed (simulated for {report['source_arn']})."]
        lines = []
        for _part, label, actions, snippet in denied_by_part(report):
            lines += [f"Denied for {label} ({len(actions)}):", *(f"  {action}" for action in actions)]
            lines += ["Statements that allow them:", snippet]
        return lines
    why = report.get("simulation_error")
    lines = [
        f"Permissions not simulated: IAM answered {why['code']}: {why['message']}"
        if why
        else f"Permissions not simulated: IAM cannot simulate {report['arn']} (the root user or a federated user)."
    ]
    lines.append("Read-only probes instead:")
    for probe in report["probes"]:
        lines.append(f"  {probe['operation']}: {probe['outcome']}{' ' + probe['code'] if probe.get('code') else ''}")
    return lines
