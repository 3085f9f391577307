"""Step 7: the pipeline tracked in the release console, and its first release followed to the end.

Verify follows the pipeline's first release, whichever started it: the one that creating the pipeline started,
or one started by an image push. Only when there is no release to follow does it start one, the way chosen
below. It says at each point what the release is doing and what you can do: reroute traffic or end the
termination wait early in the release console, where the buttons are.
"""

import itertools

from provisioning import release_words as words
from provisioning.worker.step_context import Action, StepError, Waiting
from releases.worker.track import TrackingError, track_pipeline

KEY, TITLE = "verify", "Verify"
HELP = (  # shown on the step's page
    "Tracks the pipeline in the release console and follows its first release to the end: the one that "
    "creating the pipeline started, or one started by an image push; only when there is none does it start "
    "one, the way chosen below. It says at each point what the release is doing and what you can do: reroute "
    "traffic, or end the termination wait early, in the release console."
)
OUTPUTS = ("release_url", "execution_id", "deployment_id")
IMAGE_ACTION = "release"  # the sub-action that waits for an image push when there is no release to follow
PUSH, START = "push", "start"
RUNNING = ("InProgress", "Stopping")


ECS_HELP = (
    "Tracks the pipeline in the release console and follows its first release to the end: the one that "
    "creating the pipeline started, or one started by an image push; only when there is none does it start "
    "one, the way chosen below. It says at each point what the service deployment is doing; the release console "
    "shows its stages and traffic, and can roll it back."
)


def plan(setup):
    which = "The ECS service deployment" if setup.uses_ecs else "The CodeDeploy deployment"
    return [
        Action("track", "Track the pipeline in the release console"),
        Action("release", "The first release: the one running (creating the pipeline starts one), or a new one"),
        Action("pipeline", "The release runs through the pipeline"),
        Action("deployment", f"{which} succeeded"),
    ]


def run(ctx):
    ctx.do("track", lambda: track(ctx))
    ctx.do("release", lambda: release(ctx))
    ctx.do("pipeline", lambda: follow(ctx))
    ctx.do("deployment", lambda: deployment(ctx))


def track(ctx):

    try:
        target = track_pipeline(ctx.config["pipeline"], connection=ctx.setup.connection(), user=ctx.run.requested_by)
    except TrackingError as error:
        raise StepError("TrackingError", str(error)) from error
    return {"release_url": target.get_absolute_url(), "detail": "tracked"}


def release(ctx):
    """The release to follow; when there is none, a new one (start mode) or a wait for an image push."""
    action = ctx.run.action("release")
    skipped = action.setdefault("skipped", seen_failing(ctx))  # releases Verify saw fail: not followed again
    chosen = first_release(executions(ctx), skipped)
    if chosen is not None:
        return followed(chosen)
    if ctx.config["verify_mode"] == START:
        execution_id = ctx.call("codepipeline", "start_pipeline_execution", name=ctx.config["pipeline"])
        execution_id = execution_id["pipelineExecutionId"]
        return {"execution_id": execution_id, "detail": f"execution {execution_id[:8]}, started by the wizard"}
    after = " since the one that failed" if skipped else ""
    raise Waiting(
        f"No release to follow{after}: push a new image to {ctx.config['ecr_repository']}:"
        f"{ctx.config['image_tag']}. Its push starts the pipeline, and Verify follows that release.",
        give_up_after=None,
    )


def seen_failing(ctx):
    earlier = ctx.setup.runs.filter(step=KEY).exclude(pk=ctx.run.pk).values_list("actions", flat=True)
    return [i for actions in earlier for a in actions if a["key"] == "release" for i in a.get("skipped", [])]


def executions(ctx):
    """The pipeline's recent executions, newest first (by start time: AWS's order is not relied on)."""
    answer = ctx.call("codepipeline", "list_pipeline_executions", pipelineName=ctx.config["pipeline"], maxResults=20)
    found = answer.get("pipelineExecutionSummaries", [])
    return sorted(found, key=lambda e: e.get("startTime") or e.get("lastUpdateTime"), reverse=True)


def first_release(summaries, skipped):
    """Of the executions newer than any Verify saw fail: the oldest still running, else the newest."""
    newer = list(itertools.takewhile(lambda e: e["pipelineExecutionId"] not in skipped, summaries))
    running = [e for e in newer if e["status"] in RUNNING]
    if running:
        return running[-1]
    return newer[0] if newer else None


def followed(execution):
    execution_id = execution["pipelineExecutionId"]
    how = words.started_by(execution)
    return {
        "execution_id": execution_id,
        "detail": f"execution {execution_id[:8]}" + (f", started by {how}" if how else ""),
    }


def follow(ctx):
    """One look at the release; it waits (saying what happens and what to do) until the execution has ended."""
    action = ctx.run.action("pipeline")
    execution_id = ctx.outputs["execution_id"]
    execution = ctx.call(
        "codepipeline", "get_pipeline_execution", pipelineName=ctx.config["pipeline"], pipelineExecutionId=execution_id
    )["pipelineExecution"]
    details = action_executions(ctx, execution_id)
    if ctx.setup.uses_ecs:
        found, target = service_deployment_of(ctx, details), None
    else:
        found, target = deployment_of(ctx, details)
    status = execution["status"]
    if status in RUNNING:
        now = words.ecs_now(details, found) if ctx.setup.uses_ecs else words.now(details, found, target)
        action["phase"] = now.phase
        raise Waiting(now.message, give_up_after=None)
    action.pop("phase", None)
    if status == "Succeeded":
        deployment_id = (found.get("serviceDeploymentArn") or found.get("deploymentId")) if found else ""
        return {"deployment_id": deployment_id, "detail": f"execution {execution_id[:8]} Succeeded"}
    release_action = ctx.run.action("release")
    release_action["skipped"].append(execution_id)
    if status == "Superseded":  # a newer release took its place: follow that one instead
        newer = first_release(executions(ctx), release_action["skipped"])
        if newer is not None:
            result = followed(newer)
            ctx.save_outputs_now(execution_id=result["execution_id"])
            release_action.update(detail=f"{result['detail']} (it superseded {execution_id[:8]})")
            raise Waiting(
                f"Execution {execution_id[:8]} was superseded by a newer release; following that one.",
                give_up_after=None,
            )
    # Retry follows (or starts) the next release: this one is not followed again.
    release_action.update(
        status="pending", detail=f"execution {execution_id[:8]} ended {status}; Retry follows the next"
    )
    failed = words.failure(execution, details, None if ctx.setup.uses_ecs else found, target)
    raise StepError(failed.code, f"{failed.message} {retry_hint(ctx, failed.code)}")


def retry_hint(ctx, code=""):
    if ctx.config["verify_mode"] == START:
        then = "Retry starts the pipeline again and follows that release"
    else:
        image = f"{ctx.config['ecr_repository']}:{ctx.config['image_tag']}"
        then = f"Retry follows the next release: push a new image to {image}"
    if code == "NobodyRerouted":
        return (
            f"{then}; when it waits, press Reroute traffic in the release console. Or choose “immediately” "
            "under Reroute traffic in the CodeDeploy step and run it again."
        )
    if code == "ReleaseFailed":
        return f"See the failed action in the release console, fix its cause, then: {then[0].lower()}{then[1:]}."
    return f"The release console shows the lifecycle events. {then}."


def deployment(ctx):
    if ctx.setup.uses_ecs:
        return service_deployment(ctx)
    deployment_id = ctx.outputs.get("deployment_id")
    found = (
        ctx.call("codedeploy", "get_deployment", deploymentId=deployment_id)["deploymentInfo"]
        if deployment_id
        else None
    )
    if not found or found["status"] != "Succeeded":
        status = found["status"] if found else "not found"
        raise StepError("DeploymentNotSucceeded", f"The pipeline succeeded but the deployment is {status}.")
    return {"detail": f"{deployment_id} Succeeded: production traffic is on the replacement"}


def action_executions(ctx, execution_id):
    return ctx.call(
        "codepipeline",
        "list_action_executions",
        pipelineName=ctx.config["pipeline"],
        filter={"pipelineExecutionId": execution_id},
    )["actionExecutionDetails"]


NO_TARGET = ("DeploymentNotStartedException", "DeploymentTargetDoesNotExistException")


def deployment_of(ctx, details):
    """The CodeDeploy deployment this execution's deploy action created (None before it has), and its ECS target."""
    deployment_id = words.deployment_id(details)
    if not deployment_id:
        return None, None
    found = ctx.call("codedeploy", "get_deployment", deploymentId=deployment_id)["deploymentInfo"]
    target_id = f"{ctx.config['cluster']}:{ctx.config['service']}"
    answer = ctx.find(
        NO_TARGET, "codedeploy", "batch_get_deployment_targets", deploymentId=deployment_id, targetIds=[target_id]
    )
    targets = [t["ecsTarget"] for t in (answer or {}).get("deploymentTargets", []) if t.get("ecsTarget")]
    return found, targets[0] if targets else None


def service_deployment_of(ctx, details):
    """The ECS service deployment this execution's deploy action started (None before it has): the service's
    current one, once it is newer than the action's start."""
    deploy = words.deploy_action(details, words.ECS_DEPLOY_PROVIDER)
    if deploy is None:
        return None
    return current_service_deployment(ctx, since=deploy.get("startTime"))


def current_service_deployment(ctx, since=None):
    c = ctx.config
    found = ctx.call("ecs", "describe_services", cluster=c["cluster"], services=[c["service"]])["services"]
    arn = found[0].get("currentServiceDeployment") if found else None
    if not arn:
        return None
    answer = ctx.call("ecs", "describe_service_deployments", serviceDeploymentArns=[arn])["serviceDeployments"]
    if not answer or (since and answer[0].get("createdAt") and answer[0]["createdAt"] < since):
        return None
    return answer[0]


def service_deployment(ctx):
    arn = ctx.outputs.get("deployment_id")
    found = None
    if arn:
        answer = ctx.call("ecs", "describe_service_deployments", serviceDeploymentArns=[arn])["serviceDeployments"]
        found = answer[0] if answer else None
    if not found or found["status"] != "SUCCESSFUL":
        status = found["status"] if found else "not found"
        raise StepError("DeploymentNotSucceeded", f"The pipeline succeeded but the service deployment is {status}.")
    name = arn.rsplit("/", 1)[-1]
    return {"detail": f"{name} SUCCESSFUL: production traffic is on the new revision"}
