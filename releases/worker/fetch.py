"""What one refresh asks AWS about a target, with as few calls as AWS allows. Runs in workers only.

A full refresh: get_pipeline_state (and get_pipeline when the pipeline's version changed: its approvals' summaries
and links), list_pipeline_executions, list_deployments (every page, but only of the deployments created since the
newest one already known), then batch_get_deployments in chunks of 25 for the deployments that are new or still
active, and one batch_get_deployment_targets per active deployment.
While events arrive a refresh reads only some `parts` (polling.py decides which): STATE (get_pipeline_state),
EXECUTIONS (list_pipeline_executions), LISTING (list_deployments), DEPLOYMENTS (batch_get_deployments), TARGETS
(batch_get_deployment_targets of the deployments known to be active: what moves without an event, traffic and
lifecycle hooks), or PROBE alone (one list_pipeline_executions of the newest execution, and everything when it is
not the one known).
Details that never change (an execution's image, a task set's task definition) are asked for once.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from dashboard import aws
from releases.clocks import OffsetMeter
from releases.models import Deployment
from releases.worker import ecs_fetch

ACTIVE = Deployment.ACTIVE

EXECUTIONS_SHOWN = 10
STATE, EXECUTIONS, TARGETS, PROBE = "state", "executions", "targets", "probe"
LISTING, DEPLOYMENTS = "listing", "deployments"  # the new ones (list_deployments), the known active ones
FULL = frozenset((STATE, EXECUTIONS, LISTING, DEPLOYMENTS, TARGETS))
BATCH = 25  # batch_get_deployments takes at most 25 ids (BatchLimitExceededException beyond)
# list_deployments is asked only for deployments created since the newest known one, less this margin: the
# listing is eventually consistent, and both times are AWS's own (createTime), so no clocks are mixed.
LISTING_MARGIN = timedelta(minutes=5)
# A deployment that has no ECS target yet (Created, Queued) or any more: skipped, not a failed refresh.
NO_TARGET = (
    "DeploymentNotStartedException",
    "DeploymentTargetDoesNotExistException",
    "DeploymentDoesNotExistException",
)


@dataclass
class Known:
    """What the database already holds, so the fetch asks only for what is new or moving."""

    deployments: dict = field(default_factory=dict)  # id -> status
    newest_created_at: object = None  # the createTime of the newest deployment known, as AWS gave it
    deployments_with_targets: set = field(default_factory=set)
    deployments_with_previous: set = field(default_factory=set)
    executions_detailed: set = field(default_factory=set)
    task_sets: dict = field(default_factory=dict)  # task set id -> {"task_definition", "image"}
    newest_execution: tuple | None = None  # (id, status) of the newest execution known


@dataclass
class Seen:
    state: dict | None  # None: the pipeline was not read this time (nor its executions)
    executions: list | None
    deployment_ids: list
    deployments: dict = field(default_factory=dict)  # id -> deploymentInfo
    targets: dict = field(default_factory=dict)  # id -> ecsTarget
    action_details: dict = field(default_factory=dict)  # execution id -> list_action_executions details
    images: dict = field(default_factory=dict)  # digest -> describe_images detail
    task_sets: dict = field(default_factory=dict)  # task set id -> {"task_definition", "image"}
    previous: dict = field(default_factory=dict)  # deployment id -> the task definition revision before its own
    clock_offset: float | None = None  # seconds AWS's clock is ahead of the dashboard's, from the Date headers
    parts: set = field(default_factory=lambda: set(FULL))  # what this refresh read
    declaration: dict | None = None  # get_pipeline's, read when the pipeline's version is not the one known
    service: object = None  # an ECS blue/green target's service deployments (ecs_fetch.SeenService)


def fetch(target, known, parts=FULL):
    """What AWS shows of the target now, asked in the target's own region and profile (`target.connection()`):
    the `parts` of it (all by default). `seen.parts` says what was read."""
    meter = OffsetMeter(target.connection())
    parts = set(parts)
    if target.is_ecs:  # no CodeDeploy; its service deployments instead (and a pipeline only when it has one)
        parts -= {LISTING, DEPLOYMENTS, TARGETS} if target.pipeline_name else {*FULL, PROBE}
    if PROBE in parts:
        parts.discard(PROBE)
        if _newest_moved(target, known, meter):
            parts |= FULL
    seen = Seen(None, None, [], parts=parts)
    if STATE in parts:
        seen.state = meter.call("codepipeline", "get_pipeline_state", name=target.pipeline_name)
        if seen.state.get("pipelineVersion") != target.pipeline_state.get("version"):
            # An approval's summary and link are in the declaration only: read again when the pipeline changed.
            seen.declaration = meter.call("codepipeline", "get_pipeline", name=target.pipeline_name)["pipeline"]
    if EXECUTIONS in parts:
        seen.executions = meter.call(
            "codepipeline", "list_pipeline_executions", pipelineName=target.pipeline_name, maxResults=EXECUTIONS_SHOWN
        ).get("pipelineExecutionSummaries", [])
    if LISTING in parts:
        seen.deployment_ids = _deployment_ids(target, known)
    if DEPLOYMENTS in parts or LISTING in parts:
        _deployments(target, known, seen)
    elif TARGETS in parts:
        active = [i for i, status in known.deployments.items() if status in ACTIVE]
        _targets(target, known, seen, active, newest=None)
    if seen.executions:
        _executions(target, known, seen)
    if target.is_ecs:
        seen.service = ecs_fetch.fetch(target, meter)
    seen.clock_offset = meter.offset
    return seen


def _newest_moved(target, known, meter):
    """Whether the pipeline's newest execution is not the one known, or has another status (one call)."""
    answer = meter.call("codepipeline", "list_pipeline_executions", pipelineName=target.pipeline_name, maxResults=1)
    newest = (answer.get("pipelineExecutionSummaries") or [None])[0]
    if newest is None:
        return known.newest_execution is not None
    return (newest["pipelineExecutionId"], newest.get("status")) != known.newest_execution


def _deployment_ids(target, known):
    """The ids of the group's deployments created since the newest known one (all of them the first time), read
    across every page: AWS documents no order, so the order is made from createTime once the details are in."""
    params = {"applicationName": target.application_name, "deploymentGroupName": target.deployment_group_name}
    if known.newest_created_at:
        params["createTimeRange"] = {"start": known.newest_created_at - LISTING_MARGIN}
    return aws.paginate("codedeploy", "list_deployments", "deployments", target.connection(), **params)


def _deployments(target, known, seen):
    connection = target.connection()
    wanted = [i for i in seen.deployment_ids if known.deployments.get(i) in (None, *ACTIVE)]
    wanted += [i for i, status in known.deployments.items() if status in ACTIVE and i not in wanted]
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        answer = aws.call("codedeploy", "batch_get_deployments", connection, deploymentIds=batch)
        for info in answer.get("deploymentsInfo", []):
            seen.deployments[info["deploymentId"]] = info
    newest = _newest(seen.deployments.values())
    moving = [
        deployment_id
        for deployment_id, info in seen.deployments.items()
        if info["status"] in ACTIVE or known.deployments.get(deployment_id) in ACTIVE
    ]
    _targets(target, known, seen, moving, newest)


def _targets(target, known, seen, moving, newest):
    """The ECS target of each deployment in `moving`, and of the newest one the first time it is seen."""
    connection = target.connection()
    target_id = f"{target.cluster_name}:{target.service_name}"
    looks = list(moving)
    if newest and newest not in looks and newest not in known.deployments_with_targets:
        looks.append(newest)
    for deployment_id in looks:
        try:
            answer = aws.call(
                "codedeploy",
                "batch_get_deployment_targets",
                connection,
                deploymentId=deployment_id,
                targetIds=[target_id],
            )
        except aws.AwsError as error:
            if error.code in NO_TARGET:
                continue
            raise
        for item in answer.get("deploymentTargets", []):
            if item.get("ecsTarget"):
                seen.targets[deployment_id] = item["ecsTarget"]
    _task_sets(target, known, seen)
    _previous_definitions(connection, known, seen)


def _newest(infos):
    infos = [i for i in infos if i.get("createTime")]
    return max(infos, key=lambda i: i["createTime"])["deploymentId"] if infos else None


def _task_sets(target, known, seen):
    """The task definition and image of each task set, asked for once per task set."""
    new = {
        ts["identifer"]
        for ecs_target in seen.targets.values()
        for ts in ecs_target.get("taskSetsInfo", [])
        if ts.get("identifer") and ts["identifer"] not in known.task_sets
    }
    if not new:
        return
    # describe_services lists a CODE_DEPLOY service's task sets with their task definitions: one call for all.
    connection = target.connection()
    answer = aws.call(
        "ecs", "describe_services", connection, cluster=target.cluster_name, services=[target.service_name]
    )
    definitions = {}
    for task_set in (answer.get("services") or [{}])[0].get("taskSets", []):
        if task_set.get("id") not in new:
            continue
        arn = task_set.get("taskDefinition", "")
        if arn not in definitions:
            definitions[arn] = _image(connection, arn)
        seen.task_sets[task_set["id"]] = {"task_definition": arn, "image": definitions[arn]}


def _previous_definitions(connection, known, seen):
    """For a finished deployment whose original task set is gone before it was seen: the revision before its
    own in the task definition family (what ecspresso's rollback deploys), asked for once."""
    task_sets = {**known.task_sets, **seen.task_sets}
    for deployment_id, ecs_target in seen.targets.items():
        status = (seen.deployments.get(deployment_id) or {}).get("status")
        if status != "Succeeded" or deployment_id in known.deployments_with_previous:
            continue
        labels = {t.get("taskSetLabel", "").upper(): t.get("identifer") for t in ecs_target.get("taskSetsInfo", [])}
        green = task_sets.get(labels.get("GREEN"))
        if labels.get("BLUE") in task_sets or not green or not green.get("task_definition"):
            continue
        family, _, revision = green["task_definition"].rsplit("/", 1)[-1].rpartition(":")
        arns = aws.paginate(
            "ecs",
            "list_task_definitions",
            "taskDefinitionArns",
            connection,
            familyPrefix=family,
            status="ACTIVE",
            sort="DESC",
        )
        older = [a for a in arns if a.rsplit("/", 1)[-1].rpartition(":")[0] == family and _revision(a) < int(revision)]
        seen.previous[deployment_id] = older[0] if older else ""


def _revision(arn):
    return int(arn.rpartition(":")[2])


def _image(connection, task_definition_arn):
    try:
        answer = aws.call("ecs", "describe_task_definition", connection, taskDefinition=task_definition_arn)
        definition = answer["taskDefinition"]
    except aws.AwsError as error:
        if error.retryable:
            raise
        return ""
    containers = definition.get("containerDefinitions", [])
    return containers[0].get("image", "") if containers else ""


def _executions(target, known, seen):
    """Image tag, URI and push time of executions whose source stage has finished, once each."""
    connection = target.connection()
    for summary in seen.executions:
        execution_id = summary["pipelineExecutionId"]
        if execution_id in known.executions_detailed or not summary.get("sourceRevisions"):
            continue
        details = aws.paginate(
            "codepipeline",
            "list_action_executions",
            "actionExecutionDetails",
            connection,
            pipelineName=target.pipeline_name,
            filter={"pipelineExecutionId": execution_id},
        )
        seen.action_details[execution_id] = details
        for detail in details:
            variables = (detail.get("output") or {}).get("outputVariables") or {}
            digest, repository = variables.get("ImageDigest"), variables.get("RepositoryName")
            if digest and repository and digest not in seen.images:
                try:
                    images = aws.call(
                        "ecr",
                        "describe_images",
                        connection,
                        repositoryName=repository,
                        imageIds=[{"imageDigest": digest}],
                    )["imageDetails"]
                except aws.AwsError as error:
                    if error.retryable:
                        raise
                    images = []
                if images:
                    seen.images[digest] = images[0]
