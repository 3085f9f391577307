"""IAM roles the steps need: found by name, or created with their trust and policies."""

import json
from contextlib import contextmanager
from urllib.parse import unquote

from dashboard import aws

from .base import Waiting

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
        return {"arn": found["Role"]["Arn"], "tags": found["Role"].get("Tags")} if found else None

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
    if role["owned"]:
        # Read first, so that a rerun changes nothing and a run that died after create_role completes here.
        attached = ctx.paginate("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        for path in managed:
            arn = managed_policy_arn(ctx, path)
            if arn not in {policy["PolicyArn"] for policy in attached}:
                ctx.call("iam", "attach_role_policy", RoleName=name, PolicyArn=arn)
        if inline and inline_policy(ctx, name) != inline:
            ctx.call("iam", "put_role_policy", RoleName=name, PolicyName=name, PolicyDocument=json.dumps(inline))
    return role


def inline_policy(ctx, role):
    found = ctx.find(MISSING, "iam", "get_role_policy", RoleName=role, PolicyName=role)
    if found is None:
        return None
    document = found["PolicyDocument"]
    return json.loads(unquote(document)) if isinstance(document, str) else document


@contextmanager
def new_role_propagating(code, service, message_part=""):
    """A role made seconds ago is not yet usable everywhere in AWS: wait a little instead of failing."""
    try:
        yield
    except aws.AwsError as error:
        if error.code == code and message_part in error.message:
            raise Waiting(
                f"IAM is still making the new role known to {service}.", seconds=5, give_up_after=120
            ) from error
        raise
