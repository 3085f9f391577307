"""CodePipeline's Amazon ECS deploy action (provider `ECS`) against a blue/green service (ECS deployment controller).

CodePipeline user guide, "Amazon Elastic Container Service deploy action reference": configuration ClusterName,
ServiceName, FileName (default `imagedefinitions.json`, in the input artifact: `[{"name", "imageUri"}]`, "Image
definitions file reference"), DeploymentTimeout (minutes; CDK's EcsDeployAction: 1 to 60, default 60). The action
"creates its own revision of the task definition based on the revision used by the Amazon ECS service" with the
images of the file, updates the service, and follows the service deployment this starts: it succeeds when the
deployment is SUCCESSFUL and fails when it rolls back or stops.

What the action's externalExecutionId, summary and error message hold is not documented, and the reference lists no
output variables: nothing names the service deployment, so the sandbox names the ECS deployment id (`ecs-svc/…`,
what describe_services' `deployments` and ECS's state change events call it) and never the service deployment's
ARN. A client links the two by time, as AWS gives it: the action's start against the deployment's createdAt.
"""

import json
from datetime import timedelta

DEFAULT_TIMEOUT_MINUTES = 60


def begin(execution, run) -> None:
    from sandbox.ecs_native import update_service
    from sandbox.pipeline_runs import READ_ONLY_TASKDEF_KEYS, ActionFailed

    rs = execution.rs
    config = run.declaration.get("configuration", {})
    cluster, service = config.get("ClusterName"), config.get("ServiceName")
    timeout = int(config.get("DeploymentTimeout") or DEFAULT_TIMEOUT_MINUTES)
    if not 1 <= timeout <= DEFAULT_TIMEOUT_MINUTES:
        raise ActionFailed(f"DeploymentTimeout must be from 1 to {DEFAULT_TIMEOUT_MINUTES} minutes.")
    artifacts = run.declaration.get("inputArtifacts") or [{}]
    text = execution._artifact_file(artifacts[0].get("name"), config.get("FileName") or "imagedefinitions.json")
    try:
        images = {entry["name"]: entry["imageUri"] for entry in json.loads(text)}
    except (ValueError, TypeError, KeyError) as exc:
        raise ActionFailed(f"The image definitions file is not a JSON list of name and imageUri: {exc}") from exc
    found = rs.aws.ecs.describe_services(cluster=cluster, services=[service])["services"]
    if not found or found[0].get("status") != "ACTIVE":
        raise ActionFailed(f"The ECS service {service} does not exist in the cluster {cluster}.")
    if found[0]["serviceArn"] not in rs.ecs_native.services:
        raise ActionFailed(
            "The sandbox runs the ECS action only for services with the ECS deployment controller and the BLUE_GREEN, "
            "LINEAR or CANARY strategy."
        )
    taskdef = rs.aws.ecs.describe_task_definition(taskDefinition=found[0]["taskDefinition"])["taskDefinition"]
    containers = {c["name"]: c for c in taskdef.get("containerDefinitions") or []}
    for name, image in images.items():
        if name not in containers:
            raise ActionFailed(f"The container {name} of the image definitions file is not in {taskdef['family']}.")
        containers[name]["image"] = image
    registered = rs.aws.ecs.register_task_definition(
        **{k: v for k, v in taskdef.items() if k not in READ_ONLY_TASKDEF_KEYS}
    )["taskDefinition"]
    deployment = update_service(rs, cluster, service, registered["taskDefinitionArn"])
    if deployment is None:
        raise ActionFailed(f"Updating the service {service} started no service deployment.")
    run.service_deployment_arn = deployment.arn
    green = rs.ecs_native.revisions[deployment.target]
    run.external_id = green["_id"]
    run.external_url = (
        f"https://console.aws.amazon.com/ecs/v2/clusters/{cluster}/services/{service}/deployments?region={rs.name}"
    )
    run.summary = f"Deployment {run.external_id} in progress"
    run.deadline = run.start + timedelta(minutes=timeout)


def finish(execution, run) -> None:
    deployment = execution.rs.ecs_native.deployments.get(run.service_deployment_arn)
    if deployment is None:
        message = f"The deployment {run.external_id} no longer exists."
        run.end("Failed", execution.now, message, {"code": "JobFailed", "message": message})
    elif deployment.status == "SUCCESSFUL":
        run.end("Succeeded", execution.now, f"Deployment {run.external_id} succeeded")
    else:
        message = f"Deployment {run.external_id} ended {deployment.status}"
        if deployment.status_reason:
            message += f": {deployment.status_reason}"
        run.end("Failed", execution.now, message, {"code": "JobFailed", "message": message})


def timeout_message(run) -> str:
    minutes = int((run.declaration.get("configuration") or {}).get("DeploymentTimeout") or DEFAULT_TIMEOUT_MINUTES)
    return f"The action timed out: the deployment {run.external_id} did not finish within {minutes} minutes."
