"""IAM roles the steps need: found by name, or created with their trust and policies."""

import json
from contextlib import contextmanager
from urllib.parse import unquote

from dashboard import aws
from provisioning.worker.step_context import StepError, Waiting, poll_seconds
from releases.worker.tracking import trusts

MISSING = ("NoSuchEntity",)


def trust(service):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def partition(ctx):
    return ctx.outputs.get("identity_arn", "arn:aws:").split(":")[1]


def managed_policy_arn(ctx, path):
    return f"arn:{partition(ctx)}:iam::aws:policy/{path}"


def ensure_role(ctx, name, service, *, managed=(), inline=None):
    """The role `name` trusted by `service`; when the wizard made it, its policies are (re)attached."""

    def find():
        found = ctx.find(MISSING, "iam", "get_role", RoleName=name)
        return (
            {"arn": found["Role"]["Arn"], "tags": found["Role"].get("Tags", []), "role": found["Role"]}
            if found
            else None
        )

    def create():
        made = ctx.call(
            "iam",
            "create_role",
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust(service)),
            Description=f"Made by the blue/green dashboard for setup {ctx.name}",
            Tags=ctx.tags(),
        )
        return {"arn": made["Role"]["Arn"]}

    role = ctx.ensure("iam.role", name, find=find, create=create)
    if not role["owned"]:
        check_adopted(ctx, role["role"], service, managed=managed, inline=inline)
    else:
        # Read first, so that a rerun changes nothing and a run that died after create_role completes here.
        attached = ctx.paginate("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        for path in managed:
            arn = managed_policy_arn(ctx, path)
            if arn not in {policy["PolicyArn"] for policy in attached}:
                ctx.call("iam", "attach_role_policy", RoleName=name, PolicyArn=arn)
        if inline and inline_policy(ctx, name) != inline:
            ctx.call("iam", "put_role_policy", RoleName=name, PolicyName=name, PolicyDocument=json.dumps(inline))
    return role


def check_adopted(ctx, found, service, *, managed=(), inline=None):
    """A role the wizard did not make is used as it is, so it must already be what the step needs: trusted by
    `service`, with the managed policies, and allowed what the wizard's own inline policy would allow."""
    name = found["RoleName"]
    fix = "Fix: change the role in IAM, or enter a role name that does not exist yet and the wizard creates it."
    if not trusts(found, service):
        raise StepError("RoleNotTrusted", f"Role {name} exists but does not let {service} assume it. {fix}")
    attached = {
        p["PolicyArn"] for p in ctx.paginate("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    }
    missing = [path for path in managed if managed_policy_arn(ctx, path) not in attached]
    if missing:
        raise StepError(
            "RolePolicyMissing", f"Role {name} exists but lacks the managed policy {', '.join(missing)}. {fix}"
        )
    denied = [] if inline is None or inline_policy(ctx, name) == inline else denied_actions(ctx, found["Arn"], inline)
    if denied:
        raise StepError("RolePermissionsMissing", f"Role {name} exists but is not allowed {', '.join(denied)}. {fix}")


def denied_actions(ctx, arn, policy):
    """The actions of `policy` that IAM's policy simulator says the role is not allowed on their resources."""
    denied = []
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        try:
            results = ctx.paginate(
                "iam",
                "simulate_principal_policy",
                "EvaluationResults",
                PolicySourceArn=arn,
                ActionNames=actions,
                ResourceArns=resources,
            )
        except aws.AwsError as error:
            if error.code in ("AccessDenied", "AccessDeniedException"):
                return []  # the wizard's credentials may not simulate: the role is used as it is
            raise
        denied += [r["EvalActionName"] for r in results if r["EvalDecision"] != "allowed"]
    return sorted(set(denied))


def inline_policy(ctx, role):
    found = ctx.find(MISSING, "iam", "get_role_policy", RoleName=role, PolicyName=role)
    if found is None:
        return None
    document = found["PolicyDocument"]
    return json.loads(unquote(document)) if isinstance(document, str) else document


# ECS's answer while it cannot yet assume a new task execution role (ClientException from RegisterTaskDefinition,
# InvalidParameterException from CreateService): "ECS was unable to assume the role '…'".
ECS_ROLE_CODES = ("ClientException", "InvalidParameterException")
ECS_ROLE_MESSAGE = "unable to assume the role"
# How long a new role may take to be usable by other services before the step gives up (IAM is eventually
# consistent: "Changes that I make are not always immediately visible").
PROPAGATION_SECONDS = 120


@contextmanager
def new_role_propagating(codes, service, message_part=""):
    """A role made seconds ago is not yet usable everywhere in AWS: look again shortly, for a bounded time."""
    try:
        yield
    except aws.AwsError as error:
        codes = (codes,) if isinstance(codes, str) else codes
        if error.code in codes and message_part.lower() in error.message.lower():
            raise Waiting(
                f"IAM is still making the new role known to {service} ({error.code}).",
                seconds=min(5, poll_seconds()),
                give_up_after=PROPAGATION_SECONDS,
            ) from error
        raise
