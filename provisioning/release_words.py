"""A release in plain words, for the Verify step: what it is doing now, what the user can do about it, and why
it failed. Pure functions of what AWS answered (get_pipeline_execution, list_action_executions, get_deployment,
batch_get_deployment_targets, or ECS's describe_service_deployments); no AWS calls here."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from releases.models import Deployment

DEPLOY_PROVIDER = "CodeDeployToECS"
ECS_DEPLOY_PROVIDER = "ECS"  # the Amazon ECS deploy action, against a service ECS deploys blue/green itself
# What the Verify page offers beside the message: open the console to reroute, to terminate, or just follow.
REROUTE, TERMINATE, FOLLOW = "reroute", "terminate", "follow"

TRIGGERS = {
    "CreatePipeline": "creating the pipeline",
    "StartPipelineExecution": "a start of the pipeline",
    "CloudWatchEvent": "an image push (EventBridge rule)",
    "PollForSourceChanges": "a source change",
    "Webhook": "a webhook",
    "WebhookV2": "a webhook",
    "PutActionRevision": "a new source revision",
    "ManualRollback": "a manual rollback",
    "AutomatedRollback": "an automatic rollback",
}

DOING = {  # the lifecycle event in progress → what the deployment is doing; the others are hooks
    **{name: f"running the {name} hook" for name in Deployment.LIFECYCLE_EVENTS},
    "Install": "installing the replacement",
    "AllowTestTraffic": "moving test traffic to the replacement",
    "AllowTraffic": "shifting production traffic to the replacement",
}


@dataclass(frozen=True)
class Now:
    phase: str  # REROUTE, TERMINATE or FOLLOW
    message: str


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


def started_by(execution):
    trigger = (execution.get("trigger") or {}).get("triggerType", "")
    return TRIGGERS.get(trigger, trigger)


def hhmm(moment):
    return timezone.localtime(moment).strftime("%H:%M")


def minutes(count):
    return f"{count} minute{'' if count == 1 else 's'}"


def deploy_action(actions, provider=DEPLOY_PROVIDER):
    """The latest run of the pipeline's ECS blue/green deploy action in this execution, if it started."""
    deploys = [a for a in actions if a["input"]["actionTypeId"]["provider"] == provider]
    return max(deploys, key=lambda a: a.get("startTime") or timezone.now()) if deploys else None


def deployment_id(actions):
    found = deploy_action(actions)
    return ((found or {}).get("output") or {}).get("executionResult", {}).get("externalExecutionId") or ""


def events(target):
    return {e["lifecycleEventName"]: e for e in (target or {}).get("lifecycleEvents", [])}


def ready_option(deployment):
    return (deployment.get("blueGreenDeploymentConfiguration") or {}).get("deploymentReadyOption") or {}


def has_ready_gate(deployment):
    return ready_option(deployment).get("actionOnTimeout") == "STOP_DEPLOYMENT"


def ready_wait_ends_at(deployment, target):
    """AWS's own times: the end of test traffic plus the ready wait (CodeDeploy starts counting there)."""
    by_name = events(target)
    since = (by_name.get("AfterAllowTestTraffic") or {}).get("endTime") or (by_name.get("AllowTestTraffic") or {}).get(
        "endTime"
    )
    wait = ready_option(deployment).get("waitTimeInMinutes")
    return since + timedelta(minutes=int(wait)) if since and wait else None


def termination_wait_ends_at(deployment, target):
    since = (events(target).get("AfterAllowTraffic") or {}).get("endTime")
    option = (deployment.get("blueGreenDeploymentConfiguration") or {}).get(
        "terminateBlueInstancesOnDeploymentSuccess"
    ) or {}
    return since + timedelta(minutes=int(option.get("terminationWaitTimeInMinutes") or 0)) if since else None


def in_termination_wait(deployment, target):
    """CodeDeploy never sets instanceTerminationWaitTimeStarted for ECS (aws/containers-roadmap#269): the wait is a
    deployment still InProgress whose ECS target has already Succeeded, every lifecycle event done."""
    if deployment.get("status") != "InProgress":
        return False
    after = (events(target).get("AfterAllowTraffic") or {}).get("status")
    return (target or {}).get("status") == "Succeeded" or after == "Succeeded"


def replacement_percent(target):
    for task_set in (target or {}).get("taskSetsInfo", []):
        if task_set.get("taskSetLabel") == "Green":
            return int(task_set.get("trafficWeight") or 0)
    return 0


def before_deploy(actions):
    running = [a for a in actions if a["status"] == "InProgress"]
    if not running:
        return Now(FOLLOW, "Release in progress: the pipeline execution is starting.")
    return Now(FOLLOW, f"Release in progress: {running[0]['stageName']}, running action {running[0]['actionName']}.")


def now(actions, deployment, target):
    """What a running release is doing, and what the user can do now."""
    deploy = deploy_action(actions)
    if deploy is None or (deploy["status"] != "InProgress" and deployment is None):
        return before_deploy(actions)
    stage = deploy["stageName"]
    if deployment is None:
        return Now(FOLLOW, f"Release in progress: {stage}, creating the CodeDeploy deployment.")
    status, name = deployment["status"], deployment["deploymentId"]
    if status == "Ready":
        ends = ready_wait_ends_at(deployment, target)
        by = f" If nobody does by {hhmm(ends)}," if ends else " If nobody does before the ready wait runs out,"
        return Now(
            REROUTE,
            f"Waiting for you to reroute traffic — the replacement is installed and takes the test traffic. Open the "
            f"release console and press Reroute traffic to move production traffic to it.{by} CodeDeploy stops "
            f"deployment {name} and production traffic stays on the original.",
        )
    if in_termination_wait(deployment, target):
        ends = termination_wait_ends_at(deployment, target)
        when = f" (ends at {hhmm(ends)})" if ends else ""
        return Now(
            TERMINATE,
            f"Waiting for the original's termination{when} — production traffic is on the replacement; the original "
            f"task set is kept until then so the release can still be rolled back. You can terminate it now from "
            f"the release console.",
        )
    if status in Deployment.NOT_STARTED:
        return Now(FOLLOW, f"Release in progress: {stage}, deployment {name} is queued.")
    if status == "Succeeded":
        return Now(FOLLOW, f"Release in progress: {stage}, deployment {name} succeeded; the pipeline is finishing.")
    if status in ("Failed", "Stopped"):
        return Now(FOLLOW, f"Release in progress: {stage}, deployment {name} ended {status}; the pipeline is ending.")
    doing = next((DOING[n] for n, e in events(target).items() if e.get("status") == "InProgress" and n in DOING), "")
    if doing == DOING["AllowTraffic"]:
        doing += f" ({replacement_percent(target)}% there)"
    return Now(FOLLOW, f"Release in progress: {stage}, {doing or f'deployment {name} {status}'}.")


def failure(execution, actions, deployment, target):
    """Why the release failed, in plain words, with AWS's own code and message."""
    execution_id, status = execution["pipelineExecutionId"], execution["status"]
    if deployment is not None and deployment["status"] in ("Failed", "Stopped"):
        return _deployment_failure(deployment, target)
    summary = f" CodePipeline says: {sentence(execution['statusSummary'])}" if execution.get("statusSummary") else ""
    failed = [a for a in actions if a["status"] == "Failed"]
    if failed:
        action = failed[0]
        error = ((action.get("output") or {}).get("executionResult") or {}).get("errorDetails") or {}
        where = f"stage {action['stageName']}, action {action['actionName']}"
        said = aws_said("CodePipeline", error) or summary
        return Failure("ReleaseFailed", f"Pipeline execution {execution_id} failed in {where}.{said}")
    if status == "Stopped":
        return Failure("ReleaseStopped", f"Someone stopped pipeline execution {execution_id}.{summary}")
    return Failure("ReleaseFailed", f"Pipeline execution {execution_id} ended {status}.{summary}")


def sentence(text):
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def aws_said(service, error):
    if not error.get("code"):
        return ""
    return f" {service}'s error: {error['code']}: {sentence(error.get('message') or '')}"


def _deployment_failure(deployment, target):
    name, status = deployment["deploymentId"], deployment["status"]
    said = aws_said("CodeDeploy", deployment.get("errorInformation") or {})
    code = (deployment.get("errorInformation") or {}).get("code")
    rollback = (deployment.get("rollbackInfo") or {}).get("rollbackDeploymentId")
    rolled_back = f" CodeDeploy rolled back to the original task set (deployment {rollback})." if rollback else ""
    if nobody_rerouted(deployment, target):
        wait = ready_option(deployment).get("waitTimeInMinutes")
        how_long = f" ({minutes(int(wait))})" if wait else ""
        return Failure(
            "NobodyRerouted",
            f"Nobody rerouted traffic before the ready wait{how_long} ran out, so CodeDeploy stopped deployment "
            f"{name}; production traffic stayed on the original task set.{rolled_back}{said}",
        )
    if code == "MANUAL_STOP":
        return Failure("DeploymentStopped", f"Someone stopped deployment {name}.{rolled_back}{said}")
    ended = "failed" if status == "Failed" else f"ended {status}"
    at = next((n for n, e in events(target).items() if e.get("status") == "Failed"), "")
    ended += f" at {at}" if at else ""
    return Failure("DeploymentFailed", f"Deployment {name} {ended}.{rolled_back}{said}")


def nobody_rerouted(deployment, target):
    """The deployment waited at Ready for a reroute and ended when the wait ran out, before any traffic moved."""
    code = (deployment.get("errorInformation") or {}).get("code", "")
    if not has_ready_gate(deployment) or code == "MANUAL_STOP":
        return False
    if code == "TIMEOUT":
        return True
    by_name = events(target)
    tested = (by_name.get("AfterAllowTestTraffic") or {}).get("status") == "Succeeded"
    shifted = (by_name.get("BeforeAllowTraffic") or {}).get("status") not in (None, "Pending", "Skipped")
    return tested and not shifted


ECS_DOING = {  # an ECS service deployment's lifecycle stage → what it is doing
    "RECONCILE_SERVICE": "scaling in what an earlier deployment left running",
    "PRE_SCALE_UP": "running the PRE_SCALE_UP hooks",
    "SCALE_UP": "starting the new revision's tasks",
    "POST_SCALE_UP": "running the POST_SCALE_UP hooks",
    "TEST_TRAFFIC_SHIFT": "moving test traffic to the new revision",
    "POST_TEST_TRAFFIC_SHIFT": "running the POST_TEST_TRAFFIC_SHIFT hooks",
    "PRODUCTION_TRAFFIC_SHIFT": "shifting production traffic to the new revision",
    "POST_PRODUCTION_TRAFFIC_SHIFT": "running the POST_PRODUCTION_TRAFFIC_SHIFT hooks",
    "BAKE_TIME": (
        "baking: production traffic is on the new revision, and the original keeps running for the bake time so "
        "that a rollback is instant (Roll back is in the release console)"
    ),
    "CLEAN_UP": "scaling the original revision in",
}


def ecs_now(actions, deployment):
    """What a running release of a service ECS deploys blue/green itself is doing (`deployment`: the service
    deployment its deploy action started, as describe_service_deployments answers it, or None before it has)."""
    deploy = deploy_action(actions, ECS_DEPLOY_PROVIDER)
    if deploy is None or (deploy["status"] != "InProgress" and deployment is None):
        return before_deploy(actions)
    stage = deploy["stageName"]
    if deployment is None:
        return Now(FOLLOW, f"Release in progress: {stage}, starting the service deployment.")
    name, status = deployment["serviceDeploymentArn"].rsplit("/", 1)[-1], deployment["status"]
    if status == "PENDING":
        return Now(FOLLOW, f"Release in progress: {stage}, service deployment {name} is pending.")
    if status == "IN_PROGRESS":
        doing = ECS_DOING.get(deployment.get("lifecycleStage", ""), f"service deployment {name} in progress")
        return Now(FOLLOW, f"Release in progress: {stage}, {doing}.")
    if status in ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"):
        reason = f" ({sentence(deployment['statusReason'])})" if deployment.get("statusReason") else ""
        return Now(FOLLOW, f"Release in progress: {stage}, service deployment {name} is rolling back{reason}.")
    return Now(
        FOLLOW, f"Release in progress: {stage}, service deployment {name} ended {status}; the pipeline is ending."
    )
