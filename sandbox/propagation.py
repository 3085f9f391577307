"""IAM eventual consistency: a role created less than `role_propagation_seconds` sandbox seconds ago
cannot yet be assumed by CodeDeploy, CodePipeline or ECS.

Role creation is recorded on the sandbox clock when IAM answers CreateRole (moto's CreateDate is
wall time). Each service refuses with its own error, as AWS does while a new role propagates.
"""

import json
import re
import threading
from datetime import datetime, timedelta

from sandbox.api import AwsErrorResponse
from sandbox.aws import ClientError

_ARN_IN_XML = re.compile(r"<Arn>(arn:[^<]+:role/[^<]+)</Arn>")


class RoleAges:
    def __init__(self):
        self._lock = threading.Lock()
        self._created: dict[str, datetime] = {}

    def record_create_role_answer(self, body: bytes, when: datetime) -> None:
        match = _ARN_IN_XML.search(body.decode("utf-8", "replace"))
        if match:
            with self._lock:
                self._created[match.group(1)] = when

    def is_fresh(self, world, role_arn: str | None) -> bool:
        seconds = world.settings.role_propagation_seconds
        if not role_arn or not seconds:
            return False
        with self._lock:
            created = self._created.get(role_arn)
        return created is not None and world.clock.now() - created < timedelta(seconds=seconds)

    def clear(self) -> None:
        with self._lock:
            self._created.clear()


def check_codedeploy_role(world, role_arn: str) -> None:
    if world.roles.is_fresh(world, role_arn):
        raise AwsErrorResponse(
            "InvalidRoleException",
            f"AWS CodeDeploy does not have the permissions required to assume the role {role_arn}.",
        )


def check_codepipeline_roles(world, declaration: dict) -> None:
    roles = [declaration.get("roleArn")]
    roles += [a.get("roleArn") for s in declaration.get("stages") or [] for a in s.get("actions") or []]
    for role_arn in roles:
        if world.roles.is_fresh(world, role_arn):
            raise AwsErrorResponse(
                "InvalidStructureException", f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}"
            )


def ecs_refusal(world, req) -> tuple[str, str] | None:
    """(error code, message) if an ECS CreateService / RegisterTaskDefinition names a fresh role."""
    if not world.settings.role_propagation_seconds:
        return None
    try:
        params = json.loads(req.body or b"{}")
    except ValueError:
        return None
    if req.operation == "RegisterTaskDefinition":
        code, roles = "ClientException", [params.get("executionRoleArn"), params.get("taskRoleArn")]
    else:
        code, roles = "InvalidParameterException", [params.get("role")]
        if params.get("taskDefinition"):
            try:
                described = world.region(req.account, req.region).aws.ecs.describe_task_definition(
                    taskDefinition=params["taskDefinition"]
                )["taskDefinition"]
            except ClientError:
                described = {}
            roles += [described.get("executionRoleArn"), described.get("taskRoleArn")]
    for role_arn in roles:
        if world.roles.is_fresh(world, role_arn):
            return code, (
                f"ECS was unable to assume the role '{role_arn}' that was provided for this task. Please verify "
                "that the role being passed has the proper trust relationship and permissions and that your IAM "
                "user has permissions to pass this role."
            )
    return None
