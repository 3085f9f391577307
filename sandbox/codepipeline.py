"""CodePipeline, emulated: pipelines (with versions and tags) and executions that run
(pipeline_runs.py), started by hand, on creation, or by EventBridge rules and polling (triggers.py)."""

import copy
import re

from sandbox.api import AwsErrorResponse, JsonApi
from sandbox.pipeline_runs import Execution
from sandbox.propagation import check_codepipeline_roles

NAME_RE = re.compile(r"^[A-Za-z0-9.@_-]{1,100}$")
KNOWN_PROVIDERS = {
    "Source": {"CodeCommit", "S3", "ECR", "CodeStarSourceConnection", "GitHub"},
    "Build": {"CodeBuild", "ECRBuildAndPublish"},
    "Test": {"CodeBuild"},
    "Deploy": {"CodeDeployToECS", "CodeDeploy", "ECS", "S3", "CloudFormation", "EC2"},
    "Approval": {"Manual"},
    "Invoke": {"Lambda", "StepFunctions"},
}
REQUIRED_CONFIGURATION = {
    "CodeCommit": ("RepositoryName", "BranchName"),
    "S3": ("S3Bucket", "S3ObjectKey"),
    "ECR": ("RepositoryName",),
    "CodeDeployToECS": (
        "ApplicationName",
        "DeploymentGroupName",
        "TaskDefinitionTemplateArtifact",
        "AppSpecTemplateArtifact",
    ),
}


class CodePipelineState:
    def __init__(self):
        self.pipelines: dict[str, dict] = {}
        self.executions: dict[str, Execution] = {}
        self.occupants: dict[tuple[str, str], str] = {}
        self.tokens: dict[tuple[str, str], str] = {}

    def of(self, pipeline: str) -> list[Execution]:
        return sorted(
            (e for e in self.executions.values() if e.pipeline == pipeline), key=lambda e: e.seq, reverse=True
        )

    # one execution per stage at a time; in SUPERSEDED mode a newer waiting execution overtakes an older one
    def enter_stage(self, ex: Execution, stage: str) -> bool:
        if ex.mode == "PARALLEL":
            return True
        key = (ex.pipeline, stage)
        holder = self.occupants.get(key)
        if holder in (None, ex.id) or self.executions.get(holder) is None or self.executions[holder].done:
            self.occupants[key] = ex.id
            ex.waiting_for_stage = None
            return True
        if ex.mode == "SUPERSEDED":
            for other in self.of(ex.pipeline):
                if other is ex or other.done or other.waiting_for_stage != stage:
                    continue
                if other.seq < ex.seq:
                    other.supersede()
                    self.release_all(other)
                else:
                    ex.supersede()
                    self.release_all(ex)
                    return False
        ex.waiting_for_stage = stage
        return False

    def leave_stage(self, ex: Execution, stage: str) -> None:
        key = (ex.pipeline, stage)
        if self.occupants.get(key) == ex.id:
            del self.occupants[key]
            for other in self.of(ex.pipeline):
                if other.waiting_for_stage == stage:
                    other.poke()

    def release_all(self, ex: Execution) -> None:
        for (_pipeline, stage), holder in list(self.occupants.items()):
            if holder == ex.id:
                self.leave_stage(ex, stage)


def _arn(rs, name: str) -> str:
    return f"arn:aws:codepipeline:{rs.name}:{rs.account}:{name}"


def start_execution(rs, name: str, trigger: dict, variables=None, source_revisions=None) -> Execution:
    pipeline = rs.codepipeline.pipelines[name]
    execution = Execution(rs, pipeline, trigger, rs.now(), variables)
    execution.source_overrides = {s["actionName"]: s for s in source_revisions or []}
    rs.codepipeline.executions[execution.id] = execution
    return execution


def source_actions(pipeline: dict):
    for stage in pipeline["declaration"]["stages"]:
        for action in stage.get("actions", []):
            if action["actionTypeId"]["category"] == "Source":
                yield action


def deployment_finished(rs, deployment_id: str) -> None:
    deployment = rs.codedeploy.deployments.get(deployment_id)
    if deployment is None:
        return
    for execution in rs.codepipeline.executions.values():
        execution.deployment_finished(deployment)


def validate_declaration(decl: dict) -> dict:
    name = decl.get("name", "")
    if not NAME_RE.match(name):
        raise AwsErrorResponse(
            "ValidationException", f"Pipeline name {name!r} is not valid: use A-Z, a-z, 0-9, . @ - _"
        )
    if not decl.get("artifactStore") and not decl.get("artifactStores"):
        raise AwsErrorResponse(
            "InvalidStructureException", "The pipeline must have an artifactStore or artifactStores."
        )
    stages = decl.get("stages") or []
    if len(stages) < 2:
        raise AwsErrorResponse("InvalidStructureException", "A pipeline must contain at least two stages.")
    stage_names = [s.get("name") for s in stages]
    if len(set(stage_names)) != len(stage_names):
        raise AwsErrorResponse("InvalidStageDeclarationException", "Stage names must be unique.")
    produced: set[str] = set()
    action_names = set()
    for index, stage in enumerate(stages):
        if not stage.get("actions"):
            raise AwsErrorResponse("InvalidStageDeclarationException", f"Stage {stage['name']} has no actions.")
        stage_outputs = set()
        for action in stage["actions"]:
            type_id = action.get("actionTypeId") or {}
            category, provider = type_id.get("category"), type_id.get("provider")
            if (stage["name"], action["name"]) in action_names:
                raise AwsErrorResponse(
                    "InvalidActionDeclarationException", f"Action {action['name']} is declared twice."
                )
            action_names.add((stage["name"], action["name"]))
            if provider not in KNOWN_PROVIDERS.get(category, set()):
                raise AwsErrorResponse(
                    "InvalidActionDeclarationException",
                    f"ActionType (Category: '{category}', Provider: '{provider}', Owner: '{type_id.get('owner')}', "
                    f"Version: '{type_id.get('version')}') in action '{action['name']}' is not available",
                )
            if (category == "Source") != (index == 0):
                raise AwsErrorResponse(
                    "InvalidStructureException",
                    "Source actions must be in the first stage, and the first stage must contain only source actions.",
                )
            config = action.get("configuration") or {}
            for key in REQUIRED_CONFIGURATION.get(provider, ()):
                if not config.get(key):
                    raise AwsErrorResponse(
                        "InvalidActionDeclarationException",
                        f"Action configuration for action '{action['name']}' is missing required configuration '{key}'",
                    )
            for artifact in action.get("inputArtifacts") or []:
                if artifact["name"] not in produced:
                    raise AwsErrorResponse(
                        "InvalidStructureException",
                        f"Input artifact {artifact['name']} of {action['name']} is not produced by an earlier stage.",
                    )
            outputs = [a["name"] for a in action.get("outputArtifacts") or []]
            if category == "Source" and not outputs:
                raise AwsErrorResponse(
                    "InvalidActionDeclarationException", f"Source action {action['name']} needs an output artifact."
                )
            for name_ in outputs:
                if name_ in produced or name_ in stage_outputs:
                    raise AwsErrorResponse(
                        "InvalidStructureException", f"Output artifact name {name_} is used more than once."
                    )
                stage_outputs.add(name_)
        produced |= stage_outputs
    clean = copy.deepcopy(decl)
    clean.setdefault("pipelineType", "V1")
    clean.setdefault("executionMode", "SUPERSEDED")
    return clean


class CodePipeline(JsonApi):
    botocore_name = "codepipeline"

    @staticmethod
    def _pipeline(rs, name: str) -> dict:
        pipeline = rs.codepipeline.pipelines.get(name)
        if pipeline is None:
            raise AwsErrorResponse(
                "PipelineNotFoundException", f"Account '{rs.account}' does not have a pipeline with name '{name}'"
            )
        return pipeline

    def _execution(self, rs, pipeline: str, execution_id: str) -> Execution:
        self._pipeline(rs, pipeline)
        execution = rs.codepipeline.executions.get(execution_id)
        if execution is None or execution.pipeline != pipeline:
            raise AwsErrorResponse(
                "PipelineExecutionNotFoundException",
                f"Pipeline execution with id '{execution_id}' does not exist in pipeline with name '{pipeline}'",
            )
        return execution

    # ---- pipelines ---------------------------------------------------------------------------

    def create_pipeline(self, rs, p):
        decl = validate_declaration(p["pipeline"])
        name = decl["name"]
        check_codepipeline_roles(rs.world, decl)
        if name in rs.codepipeline.pipelines:
            raise AwsErrorResponse("PipelineNameInUseException", f"A pipeline with name '{name}' already exists")
        decl["version"] = 1
        now = rs.now()
        tags = p.get("tags", [])
        rs.codepipeline.pipelines[name] = {
            "declaration": decl,
            "history": {1: copy.deepcopy(decl)},
            "created": now,
            "updated": now,
            "tags": {t["key"]: t["value"] for t in tags},
        }
        # AWS starts a pipeline when it is created.
        start_execution(rs, name, {"triggerType": "CreatePipeline", "triggerDetail": self._caller(rs)})
        return {"pipeline": copy.deepcopy(decl), "tags": tags or None}

    @staticmethod
    def _caller(rs) -> str:
        return f"arn:aws:sts::{rs.account}:user/testing"

    def get_pipeline(self, rs, p):
        pipeline = self._pipeline(rs, p["name"])
        decl = pipeline["declaration"]
        if p.get("version") is not None:
            if p["version"] not in pipeline["history"]:
                raise AwsErrorResponse(
                    "PipelineVersionNotFoundException", f"Pipeline version {p['version']} does not exist"
                )
            decl = pipeline["history"][p["version"]]
        return {
            "pipeline": copy.deepcopy(decl),
            "metadata": {
                "pipelineArn": _arn(rs, p["name"]),
                "created": pipeline["created"],
                "updated": pipeline["updated"],
            },
        }

    def update_pipeline(self, rs, p):
        decl = validate_declaration(p["pipeline"])
        pipeline = rs.codepipeline.pipelines.get(decl["name"])
        if pipeline is None:
            raise AwsErrorResponse("ValidationException", f"Pipeline {decl['name']} does not exist; use CreatePipeline")
        check_codepipeline_roles(rs.world, decl)
        decl["version"] = pipeline["declaration"]["version"] + 1
        pipeline["declaration"] = decl
        pipeline["history"][decl["version"]] = copy.deepcopy(decl)
        pipeline["updated"] = rs.now()
        return {"pipeline": copy.deepcopy(decl)}

    def delete_pipeline(self, rs, p):
        name = p["name"]
        if not NAME_RE.match(name):
            raise AwsErrorResponse("ValidationException", f"Pipeline name {name!r} is not valid")
        rs.codepipeline.pipelines.pop(name, None)
        for execution_id in [e.id for e in rs.codepipeline.of(name)]:
            rs.codepipeline.executions.pop(execution_id)
        for key in [k for k in rs.codepipeline.occupants if k[0] == name]:
            del rs.codepipeline.occupants[key]
        return {}

    def list_pipelines(self, rs, p):
        summaries = [
            {
                "name": name,
                "version": pl["declaration"]["version"],
                "pipelineType": pl["declaration"].get("pipelineType", "V1"),
                "executionMode": pl["declaration"].get("executionMode", "SUPERSEDED"),
                "created": pl["created"],
                "updated": pl["updated"],
            }
            for name, pl in sorted(rs.codepipeline.pipelines.items())
        ]
        return self._page(summaries, p.get("nextToken"), p.get("maxResults") or 1000, "pipelines")

    @staticmethod
    def _page(items, token, size, key):
        try:
            start = int(token or 0)
        except ValueError as exc:
            raise AwsErrorResponse("InvalidNextTokenException", "The next token is not valid.") from exc
        out = {key: items[start : start + size]}
        if start + size < len(items):
            out["nextToken"] = str(start + size)
        return out

    # ---- executions --------------------------------------------------------------------------

    def start_pipeline_execution(self, rs, p):
        self._pipeline(rs, p["name"])
        token = p.get("clientRequestToken")
        if token and (p["name"], token) in rs.codepipeline.tokens:
            return {"pipelineExecutionId": rs.codepipeline.tokens[(p["name"], token)]}
        execution = start_execution(
            rs,
            p["name"],
            {"triggerType": "StartPipelineExecution", "triggerDetail": self._caller(rs)},
            p.get("variables"),
            p.get("sourceRevisions"),
        )
        if token:
            rs.codepipeline.tokens[(p["name"], token)] = execution.id
        return {"pipelineExecutionId": execution.id}

    def get_pipeline_execution(self, rs, p):
        return {"pipelineExecution": self._execution(rs, p["pipelineName"], p["pipelineExecutionId"]).as_execution()}

    def list_pipeline_executions(self, rs, p):
        self._pipeline(rs, p["pipelineName"])
        summaries = [e.summary() for e in rs.codepipeline.of(p["pipelineName"])]
        succeeded_in = (p.get("filter") or {}).get("succeededInStage", {}).get("stageName")
        if succeeded_in:
            ok = {
                e.id for e in rs.codepipeline.of(p["pipelineName"]) if e.stage_status.get(succeeded_in) == "Succeeded"
            }
            summaries = [s for s in summaries if s["pipelineExecutionId"] in ok]
        return self._page(summaries, p.get("nextToken"), p.get("maxResults") or 100, "pipelineExecutionSummaries")

    def stop_pipeline_execution(self, rs, p):
        execution = self._execution(rs, p["pipelineName"], p["pipelineExecutionId"])
        execution.stop(bool(p.get("abandon")), p.get("reason"))
        return {"pipelineExecutionId": execution.id}

    def retry_stage_execution(self, rs, p):
        pipeline = self._pipeline(rs, p["pipelineName"])
        execution = rs.codepipeline.executions.get(p["pipelineExecutionId"])
        if execution is None or execution.pipeline != p["pipelineName"]:
            raise AwsErrorResponse(
                "ValidationException", f"Pipeline execution {p['pipelineExecutionId']} does not exist"
            )
        stage = p["stageName"]
        if stage not in [s["name"] for s in execution.stages]:
            raise AwsErrorResponse(
                "StageNotFoundException", f"Stage {stage} does not exist in pipeline {p['pipelineName']}"
            )
        if execution.status not in ("Failed", "Stopped") or execution.stage_status.get(stage) not in (
            "Failed",
            "Stopped",
        ):
            raise AwsErrorResponse(
                "StageNotRetryableException",
                f"Stage {stage} of execution {execution.id} is {execution.stage_status.get(stage, 'not run')} "
                "and cannot be retried",
            )
        newer = [e for e in rs.codepipeline.of(execution.pipeline) if e.seq > execution.seq and stage in e.stage_status]
        if newer or execution.version != pipeline["declaration"]["version"]:
            raise AwsErrorResponse(
                "NotLatestPipelineExecutionException",
                f"Execution {execution.id} is not the latest execution to run stage {stage} (or the pipeline changed)",
            )
        execution.retry(stage, p["retryMode"])
        return {"pipelineExecutionId": execution.id}

    def list_action_executions(self, rs, p):
        pipeline = self._pipeline(rs, p["pipelineName"])
        filt = p.get("filter") or {}
        executions = rs.codepipeline.of(p["pipelineName"])
        if filt.get("pipelineExecutionId"):
            executions = [self._execution(rs, p["pipelineName"], filt["pipelineExecutionId"])]
        runs = sorted((a for e in executions for a in e.actions), key=lambda a: a.seq, reverse=True)
        details = [a.detail(rs.name, a.execution.version or pipeline["declaration"]["version"]) for a in runs]
        return self._page(details, p.get("nextToken"), p.get("maxResults") or 100, "actionExecutionDetails")

    def get_pipeline_state(self, rs, p):
        pipeline = self._pipeline(rs, p["name"])
        executions = rs.codepipeline.of(p["name"])  # newest first
        stage_states = []
        for stage in pipeline["declaration"]["stages"]:
            entered = [e for e in executions if stage["name"] in e.stage_status]
            state = {"stageName": stage["name"], "inboundTransitionState": {"enabled": True}, "actionStates": []}
            if entered:
                latest = entered[0]
                state["latestExecution"] = {
                    "pipelineExecutionId": latest.id,
                    "status": latest.stage_status[stage["name"]],
                    "type": "STANDARD",
                }
            waiting = [e for e in executions if e.waiting_for_stage == stage["name"] and not e.done]
            if waiting:
                state["inboundExecution"] = {
                    "pipelineExecutionId": waiting[0].id,
                    "status": "InProgress",
                    "type": "STANDARD",
                }
            for action in stage["actions"]:
                action_state = {"actionName": action["name"]}
                runs = [a for e in entered for a in e.actions if a.stage == stage["name"] and a.name == action["name"]]
                if runs:
                    run = max(runs, key=lambda a: a.seq)
                    action_state["latestExecution"] = run.latest()
                    if action["actionTypeId"]["category"] == "Source" and run.status == "Succeeded":
                        action_state["currentRevision"] = {
                            "revisionId": run.external_id,
                            "revisionChangeId": run.external_id,
                            "created": run.updated,
                        }
                if action["actionTypeId"]["provider"] == "CodeDeployToECS":
                    app = (action.get("configuration") or {}).get("ApplicationName")
                    action_state["entityUrl"] = (
                        f"https://console.aws.amazon.com/codedeploy/home?region={rs.name}#/applications/{app}"
                    )
                state["actionStates"].append(action_state)
            stage_states.append(state)
        return {
            "pipelineName": p["name"],
            "pipelineVersion": pipeline["declaration"]["version"],
            "stageStates": stage_states,
            "created": pipeline["created"],
            "updated": pipeline["updated"],
        }

    def put_approval_result(self, rs, p):
        self._pipeline(rs, p["pipelineName"])
        for execution in rs.codepipeline.of(p["pipelineName"]):
            for run in execution.actions:
                if run.token != p["token"]:
                    continue
                if run.stage != p["stageName"]:
                    raise AwsErrorResponse("StageNotFoundException", f"Stage {p['stageName']} does not match the token")
                if run.name != p["actionName"]:
                    raise AwsErrorResponse(
                        "ActionNotFoundException", f"Action {p['actionName']} does not match the token"
                    )
                if run.status != "InProgress":
                    raise AwsErrorResponse(
                        "ApprovalAlreadyCompletedException", "The approval has already been completed"
                    )
                execution.approve(run, p["result"]["status"], p["result"].get("summary"))
                return {"approvedAt": rs.now()}
        raise AwsErrorResponse("InvalidApprovalTokenException", f"The approval token {p['token']} is not valid")

    # ---- tags ------------------------------------------------------------------------------

    def _tags(self, rs, arn: str) -> dict:
        prefix = f"arn:aws:codepipeline:{rs.name}:{rs.account}:"
        if not arn.startswith("arn:aws:codepipeline:"):
            raise AwsErrorResponse("InvalidArnException", f"The ARN {arn} is not valid")
        pipeline = rs.codepipeline.pipelines.get(arn[len(prefix) :]) if arn.startswith(prefix) else None
        if pipeline is None:
            raise AwsErrorResponse("ResourceNotFoundException", f"The resource {arn} was not found")
        return pipeline["tags"]

    def tag_resource(self, rs, p):
        tags = self._tags(rs, p["resourceArn"])
        tags.update({t["key"]: t["value"] for t in p["tags"]})
        if len(tags) > 50:
            raise AwsErrorResponse("TooManyTagsException", "A resource can have at most 50 tags")
        return {}

    def untag_resource(self, rs, p):
        tags = self._tags(rs, p["resourceArn"])
        for key in p["tagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, rs, p):
        tags = self._tags(rs, p["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in tags.items()]}
