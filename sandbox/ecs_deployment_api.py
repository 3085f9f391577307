"""The ECS service-deployment operations moto lacks: ListServiceDeployments, DescribeServiceDeployments,
DescribeServiceRevisions, StopServiceDeployment, ContinueServiceDeployment (botocore's ECS model; the developer
guide's "View service history using Amazon ECS service deployments", "Stopping ..." and "Continuing ...").

Reads take no lock: the emulation describes its own services while it holds the world's lock.
"""

import base64
import json

from sandbox.api import AwsErrorResponse, JsonApi, snake
from sandbox.ecs_native import current_service, revision_view

MAX_ARNS = 20  # DescribeServiceDeployments and DescribeServiceRevisions: "You can specify a maximum of 20 ARNs."
DEFAULT_PAGE, MAX_PAGE = 20, 100  # ListServiceDeployments' maxResults: default 20, 1 to 100


class EcsDeploymentApi(JsonApi):
    botocore_name = "ecs"
    validation_error = "InvalidParameterException"
    OPERATIONS = (
        "ListServiceDeployments",
        "DescribeServiceDeployments",
        "DescribeServiceRevisions",
        "StopServiceDeployment",
        "ContinueServiceDeployment",
    )

    def call(self, operation: str, params: dict, region: str, account: str) -> dict:
        if operation.startswith(("List", "Describe")):
            op_model = self.model.operation_model(operation)
            params = self._check(op_model, op_model.input_shape, params, "")
            rs = self.world.regions.get((account, region)) or self.world.region(account, region)
            return getattr(self, snake(operation))(rs, params)
        return super().call(operation, params, region, account)

    # ---- reads -----------------------------------------------------------------------------------

    def list_service_deployments(self, rs, p):
        cluster = p.get("cluster") or "default"
        service = current_service(rs, cluster, p["service"])
        if service is None:
            _missing_service(rs, cluster, p["service"])
        size = p.get("maxResults") or DEFAULT_PAGE
        if not 1 <= size <= MAX_PAGE:
            raise AwsErrorResponse("InvalidParameterException", f"maxResults must be from 1 to {MAX_PAGE}.")
        statuses = p.get("status") or []
        window = p.get("createdAt") or {}
        after = _token_seq(p.get("nextToken"))
        # AWS documents no order; oldest first is the least convenient one (see README).
        found = [
            d
            for d in rs.ecs_native.of(service["serviceArn"])
            if d.seq > after
            and (not statuses or d.status in statuses)
            and (not window.get("after") or d.created_at >= window["after"])
            and (not window.get("before") or d.created_at <= window["before"])
        ]
        out = {"serviceDeployments": [d.brief() for d in found[:size]]}
        if len(found) > size:
            out["nextToken"] = base64.urlsafe_b64encode(json.dumps({"after": found[size - 1].seq}).encode()).decode()
        return out

    def describe_service_deployments(self, rs, p):
        arns = _arns(p["serviceDeploymentArns"], "serviceDeploymentArns")
        found, failures = [], []
        for arn in arns:
            deployment = rs.ecs_native.deployments.get(arn)
            if deployment is None:
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(deployment.view())
        return {"serviceDeployments": found, "failures": failures}

    def describe_service_revisions(self, rs, p):
        arns = _arns(p["serviceRevisionArns"], "serviceRevisionArns")
        found, failures = [], []
        for arn in arns:
            revision = rs.ecs_native.revisions.get(arn)
            if revision is None:
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                found.append(revision_view(rs, revision))
        return {"serviceRevisions": found, "failures": failures}

    # ---- actions ---------------------------------------------------------------------------------

    def stop_service_deployment(self, rs, p):
        deployment = _deployment(rs, p["serviceDeploymentArn"], "StopServiceDeployment")
        deployment.stop(p.get("stopType") or "ROLLBACK")
        return {"serviceDeploymentArn": deployment.arn}

    def continue_service_deployment(self, rs, p):
        deployment = _deployment(rs, p["serviceDeploymentArn"], "ContinueServiceDeployment")
        deployment.continue_hook(p["hookId"], p.get("action") or "CONTINUE")
        return {"serviceDeploymentArn": deployment.arn}


def _arns(arns: list[str], member: str) -> list[str]:
    if not arns:
        raise AwsErrorResponse("InvalidParameterException", f"{member} must contain at least one ARN.")
    if len(arns) > MAX_ARNS:
        raise AwsErrorResponse("InvalidParameterException", f"{member} can contain at most {MAX_ARNS} ARNs.")
    return arns


def _deployment(rs, arn: str, operation: str):
    deployment = rs.ecs_native.deployments.get(arn)
    if deployment is None:
        raise AwsErrorResponse(
            "ServiceDeploymentNotFoundException",
            f"The service deployment ARN that you specified in the {operation} doesn't exist: {arn}",
        )
    return deployment


def _missing_service(rs, cluster: str, service: str) -> None:
    clusters = rs.aws.ecs.describe_clusters(clusters=[cluster])["clusters"]
    if not clusters or clusters[0].get("status") != "ACTIVE":
        raise AwsErrorResponse("ClusterNotFoundException", "Cluster not found.")
    raise AwsErrorResponse("ServiceNotFoundException", "Service not found.")


def _token_seq(token: str | None) -> int:
    if not token:
        return -1
    try:
        seq = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
        if not isinstance(seq, int):
            raise TypeError(seq)
    except (ValueError, KeyError, TypeError) as exc:
        raise AwsErrorResponse("InvalidParameterException", "The nextToken is not valid.") from exc
    return seq
