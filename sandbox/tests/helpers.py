"""Small readers of sandbox state for the tests (plain boto3 calls, no sleeps)."""

import json
import urllib.error
import urllib.request

CLUSTER, SERVICE = "my-cluster", "my-service"
PIPELINE = "MyImagePipeline"
TARGET = f"{CLUSTER}:{SERVICE}"


def forward_weights(aws, listener_arn: str) -> dict[str, int]:
    """Target group name -> weight for a listener's forward action."""
    action = aws.elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 100}
    ]
    return {g["TargetGroupArn"].split("/")[-2]: int(g.get("Weight", 1)) for g in groups if int(g.get("Weight", 1))}


def task_sets(aws) -> list[dict]:
    return aws.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["taskSets"]


def primary_task_set(aws) -> dict:
    return next(ts for ts in task_sets(aws) if ts["status"] == "PRIMARY")


def deployment(aws, deployment_id: str) -> dict:
    return aws.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def target(aws, deployment_id: str) -> dict:
    return aws.codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=TARGET)["deploymentTarget"][
        "ecsTarget"
    ]


def executions(aws) -> list[dict]:
    return aws.codepipeline.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"]


def execution(aws, execution_id: str) -> dict:
    return aws.codepipeline.get_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution_id)[
        "pipelineExecution"
    ]


def deploy_action_state(aws) -> dict:
    state = aws.codepipeline.get_pipeline_state(name=PIPELINE)
    stage = next(s for s in state["stageStates"] if s["stageName"] == "Deploy")
    return stage["actionStates"][0].get("latestExecution", {})


def advance_until(aws, condition, step: float = 5, limit: float = 4 * 3600):
    """Advance the manual clock in steps until `condition()` is true; fail after `limit` sandbox seconds."""
    waited = 0.0
    while True:
        result = condition()
        if result:
            return result
        if waited >= limit:
            raise AssertionError(f"condition not met after {limit} sandbox seconds")
        aws.sandbox.advance(step)
        waited += step


def deployment_of_execution(aws, execution_id: str) -> str:
    """Wait for the pipeline's deploy action of an execution to create its CodeDeploy deployment."""

    def created():
        details = aws.codepipeline.list_action_executions(
            pipelineName=PIPELINE, filter={"pipelineExecutionId": execution_id}
        )["actionExecutionDetails"]
        deploy = [d for d in details if d["stageName"] == "Deploy"]
        return deploy and deploy[0]["output"].get("executionResult", {}).get("externalExecutionId")

    return advance_until(aws, created, step=2, limit=120)


def wait_status(aws, deployment_id: str, *statuses: str, step: float = 5, limit: float = 4 * 3600) -> dict:
    return advance_until(
        aws, lambda: (d := deployment(aws, deployment_id))["status"] in statuses and d, step=step, limit=limit
    )


def in_termination_wait(aws, deployment_id: str) -> bool:
    """AWS's way to tell (the flag stays false for ECS): the target succeeded, the deployment has not."""
    return (
        deployment(aws, deployment_id)["status"] == "InProgress" and target(aws, deployment_id)["status"] == "Succeeded"
    )


def release(aws, execution_id: str) -> str:
    """Drive one execution's blue/green deployment to success with the operator's two continues."""
    deployment_id = deployment_of_execution(aws, execution_id)
    wait_status(aws, deployment_id, "Ready")
    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    advance_until(aws, lambda: in_termination_wait(aws, deployment_id), step=5)
    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    wait_status(aws, deployment_id, "Succeeded", step=5, limit=300)
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Succeeded", step=5, limit=60)
    return deployment_id


def seconds_since(aws, moment) -> float:
    """Sandbox seconds from `moment` (a timestamp boto3 returned) to the sandbox clock's now."""
    from datetime import datetime

    return (datetime.fromisoformat(aws.sandbox.health()["clock"]) - moment).total_seconds()


def event(aws, deployment_id: str, name: str) -> dict:
    return next(e for e in target(aws, deployment_id)["lifecycleEvents"] if e["lifecycleEventName"] == name)


def local_urls(aws, region: str = "us-east-1") -> dict[int, str]:
    """Listener port -> the local URL that serves it (GET /_sandbox/load-balancers)."""
    return {
        listener["port"]: listener["local_url"]
        for lb in aws.sandbox.load_balancers()
        if lb["region"] == region
        for listener in lb["listeners"]
    }


def http_get(url: str, accept: str = "application/json", host: str | None = None) -> tuple[int, dict, str]:
    """(status, headers, body) of a plain GET; with the default Accept the body is parsed JSON when it is JSON."""
    headers = {"Accept": accept, **({"Host": host} if host else {})}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local URL
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status, answer_headers, body = response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        status, answer_headers, body = error.code, dict(error.headers), error.read().decode()
    if answer_headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(body)
    return status, answer_headers, body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
