"""Step 7: the first release, followed to Succeeded, and the pipeline tracked in the release console.

The wizard only follows the release; rerouting or ending the waits early is done in the release console.
"""

from .base import Action, StepError, Waiting

KEY, TITLE = "verify", "Verify"
IMAGE_ACTION = "release"  # the sub-action that waits for an image push
PUSH, START = "push", "start"
RUNNING = ("InProgress", "Stopping")


def plan(setup):
    if setup.config["verify_mode"] == PUSH:
        release = "A release, started by pushing a new image"
    else:
        release = "A release: the one running, or one started now"
    return [
        Action("track", "Track the pipeline in the release console"),
        Action("release", release),
        Action("pipeline", "The pipeline execution succeeds"),
        Action("deployment", "The CodeDeploy deployment succeeded"),
    ]


def run(ctx):
    ctx.do("track", lambda: track(ctx))
    ctx.do("release", lambda: release(ctx))
    ctx.do("pipeline", lambda: follow(ctx))
    ctx.do("deployment", lambda: deployment(ctx))


def track(ctx):
    from releases.services import TrackingError, track_pipeline

    try:
        target = track_pipeline(ctx.config["pipeline"], user=ctx.run.requested_by)
    except TrackingError as error:
        raise StepError("TrackingError", str(error)) from error
    return {"release_url": target.get_absolute_url(), "detail": "tracked"}


def release(ctx):
    """Push mode: the first execution started after this step did (by an image push). Start mode: the latest
    execution if it is running or succeeded, else a new one."""
    name = ctx.config["pipeline"]
    executions = ctx.call("codepipeline", "list_pipeline_executions", pipelineName=name, maxResults=20)
    executions = executions.get("pipelineExecutionSummaries", [])
    if ctx.config["verify_mode"] == PUSH:
        # Remembered in the checklist, so every later look compares with what there was at the start.
        before = ctx.run.action("release").setdefault("before", [e["pipelineExecutionId"] for e in executions])
        new = [e for e in executions if e["pipelineExecutionId"] not in before]
        if not new:
            raise Waiting(
                f"Push a new image to {ctx.config['ecr_repository']}:{ctx.config['image_tag']}: "
                "its push starts the pipeline.",
                give_up_after=None,
            )
        return described(new[-1])
    if executions and executions[0]["status"] in (*RUNNING, "Succeeded"):
        return described(executions[0])
    execution = ctx.call("codepipeline", "start_pipeline_execution", name=name)["pipelineExecutionId"]
    return {"execution_id": execution, "detail": f"started execution {execution[:8]}"}


def described(execution):
    trigger = execution.get("trigger", {}).get("triggerType", "")
    how = f", started by {trigger}" if trigger else ""
    execution_id = execution["pipelineExecutionId"]
    return {"execution_id": execution_id, "detail": f"execution {execution_id[:8]} ({execution['status']}{how})"}


def follow(ctx):
    execution_id = ctx.outputs["execution_id"]
    execution = ctx.call(
        "codepipeline", "get_pipeline_execution", pipelineName=ctx.config["pipeline"], pipelineExecutionId=execution_id
    )["pipelineExecution"]
    status = execution["status"]
    if status == "Succeeded":
        return {"detail": f"execution {execution_id[:8]} Succeeded"}
    if status in RUNNING:
        deployment = execution_deployment(ctx, execution_id)
        state = f"; deployment {deployment['deploymentId']} {deployment['status']}" if deployment else ""
        raise Waiting(f"Execution {execution_id[:8]} {status}{state}.", give_up_after=None)
    # A Retry starts (or waits for) another release.
    retried = ctx.run.action("release")
    retried.update(status="pending", detail="")
    retried.pop("before", None)
    raise StepError("ReleaseFailed", f"Pipeline execution {execution_id} ended {status}; see the release console.")


def deployment(ctx):
    found = execution_deployment(ctx, ctx.outputs["execution_id"])
    if not found or found["status"] != "Succeeded":
        status = found["status"] if found else "not found"
        raise StepError("DeploymentNotSucceeded", f"The pipeline succeeded but the deployment is {status}.")
    return {"deployment_id": found["deploymentId"], "detail": f"{found['deploymentId']} Succeeded"}


def execution_deployment(ctx, execution_id):
    """The CodeDeploy deployment that this pipeline execution's deploy action created, if any yet."""
    actions = ctx.call(
        "codepipeline",
        "list_action_executions",
        pipelineName=ctx.config["pipeline"],
        filter={"pipelineExecutionId": execution_id},
    )["actionExecutionDetails"]
    ids = [
        a.get("output", {}).get("executionResult", {}).get("externalExecutionId", "")
        for a in actions
        if a["input"]["actionTypeId"]["provider"] == "CodeDeployToECS"
    ]
    ids = [i for i in ids if i]
    if not ids:
        return None
    return ctx.call("codedeploy", "get_deployment", deploymentId=ids[0])["deploymentInfo"]
