"""CodePipeline executions that really run: source actions (CodeCommit, S3, ECR), the
CodeDeployToECS deploy action and manual approvals, stage by stage on the sandbox clock."""

import io
import itertools
import json
import logging
import uuid
import zipfile
from datetime import datetime, timedelta

from sandbox import ecs_deploy_action
from sandbox.api import AwsErrorResponse
from sandbox.aws import ClientError

log = logging.getLogger("sandbox")
ACTION_SECONDS = 2  # how long a source action or the deploy action's preparation takes
STOP_SECONDS = 1
DEPLOY_ACTION_TIMEOUT = timedelta(days=5)  # CodePipeline quotas: CodeDeploy ECS (blue/green) deploy actions
APPROVAL_TIMEOUT = timedelta(days=7)  # CodePipeline quotas: a manual approval action fails unanswered after 7 days
READ_ONLY_TASKDEF_KEYS = {
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
}
_seq = itertools.count()


class ActionFailed(Exception):
    def __init__(self, message: str, code: str = "JobFailed"):
        super().__init__(message)
        self.code = code
        self.message = message


class ActionRun:
    """One execution of one action (a retry is a new ActionRun)."""

    service_deployment_arn: str | None = None  # the ECS action's service deployment (ecs_deploy_action.py)

    def __init__(self, execution: "Execution", stage: str, declaration: dict, now: datetime):
        self.execution = execution
        self.id = str(uuid.uuid4())
        self.seq = next(_seq)
        self.stage = stage
        self.declaration = declaration
        self.name = declaration["name"]
        self.status = "InProgress"
        self.start = now
        self.updated = now
        self.summary: str | None = None
        self.external_id: str | None = None
        self.external_url: str | None = None
        self.error: dict | None = None
        self.outputs: dict[str, dict] = {}  # artifact name -> {"files": {...}, "revision": {...}}
        self.variables: dict[str, str] = {}
        self.deployment_id: str | None = None
        self.token: str | None = None
        self.prepared = False
        self.begun = False  # its provider was started (after the action's first ACTION_SECONDS)
        self.deadline: datetime | None = None  # when the action times out, if it has a timeout

    @property
    def provider(self) -> str:
        return self.declaration["actionTypeId"]["provider"]

    @property
    def category(self) -> str:
        return self.declaration["actionTypeId"]["category"]

    def end(self, status: str, now: datetime, summary: str | None = None, error: dict | None = None) -> None:
        self.status = status
        self.updated = now
        if summary is not None:
            self.summary = summary
        self.error = error

    def latest(self) -> dict:
        return {
            "actionExecutionId": self.id,
            "status": self.status,
            "summary": self.summary,
            "lastStatusChange": self.updated,
            "token": self.token if self.status == "InProgress" else None,
            "externalExecutionId": self.external_id,
            "externalExecutionUrl": self.external_url,
            "errorDetails": self.error,
        }

    def detail(self, region: str, pipeline_version: int) -> dict:
        decl = self.declaration
        bucket = self.execution.artifact_bucket or f"codepipeline-{region}-artifacts"
        return {
            "pipelineExecutionId": self.execution.id,
            "actionExecutionId": self.id,
            "pipelineVersion": pipeline_version,
            "stageName": self.stage,
            "actionName": self.name,
            "startTime": self.start,
            "lastUpdateTime": self.updated,
            "status": self.status,
            "input": {
                "actionTypeId": decl["actionTypeId"],
                "configuration": decl.get("configuration", {}),
                "resolvedConfiguration": decl.get("configuration", {}),
                "roleArn": decl.get("roleArn"),
                "region": decl.get("region", region),
                "inputArtifacts": [
                    {
                        "name": a["name"],
                        "s3location": {"bucket": bucket, "key": f"{self.execution.pipeline}/{a['name']}"},
                    }
                    for a in decl.get("inputArtifacts", [])
                ],
                "namespace": decl.get("namespace"),
            },
            "output": {
                "outputArtifacts": [
                    {
                        "name": name,
                        "s3location": {"bucket": bucket, "key": f"{self.execution.pipeline}/{name}/{self.id[:7]}"},
                    }
                    for name in self.outputs
                ],
                "executionResult": {
                    "externalExecutionId": self.external_id,
                    "externalExecutionSummary": self.summary,
                    "externalExecutionUrl": self.external_url,
                    "errorDetails": self.error,
                },
                "outputVariables": self.variables,
            },
        }


class Execution:
    artifact_bucket: str | None = None  # an execution saved before it was recorded: the region's default name

    def __init__(self, rs, pipeline: dict, trigger: dict, now: datetime, variables: list | None = None):
        self.rs = rs
        self.seq = next(_seq)
        self.id = str(uuid.uuid4())
        self.pipeline = pipeline["declaration"]["name"]
        self.version = pipeline["declaration"]["version"]
        self.stages = json.loads(json.dumps(pipeline["declaration"]["stages"]))  # the declaration it runs
        self.mode = pipeline["declaration"].get("executionMode", "SUPERSEDED")
        self.artifact_bucket = (pipeline["declaration"].get("artifactStore") or {}).get("location")
        self.trigger = trigger
        self.variables = variables or []
        self.status = "InProgress"
        self.status_summary: str | None = None
        self.start = now
        self.updated = now
        self.stop_trigger: dict | None = None
        self.stop_abandon: bool | None = None
        self.stage_status: dict[str, str] = {}
        self.actions: list[ActionRun] = []  # every action run, in order
        self.artifacts: dict[str, dict] = {}
        self.revisions: list[dict] = []
        self.source_revisions: list[dict] = []
        self.stage_index = 0
        self.waiting_for_stage: str | None = None
        self.wake_at: datetime | None = now
        self.source_overrides: dict[str, dict] = {}
        self.attempt_start = 0  # index in `actions` of the first action run of the latest retry
        self.retried: tuple[int, str] | None = None  # (stage index, retry mode) of the latest retry
        self._run = self._stages(0)
        self._stepping = False

    @property
    def now(self) -> datetime:
        return self.rs.now()

    @property
    def state(self):
        return self.rs.codepipeline

    @property
    def done(self) -> bool:
        return self.status in ("Succeeded", "Failed", "Stopped", "Superseded", "Cancelled")

    def resume(self) -> None:
        """After a restart (persistence.py): new stages that skip what is done and go on from the current one."""
        self._stepping = False
        if self.done:
            self._run = iter(())
            return
        retried = self.retried if self.retried and self.retried[0] == self.stage_index else None
        self._run = self._stages(self.stage_index, retry_mode=retried[1] if retried else None, resumed=True)

    def wake(self) -> None:
        self.wake_at = None
        self._stepping = True
        try:
            wait = next(self._run)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a sandbox bug fails this execution, not the scheduler
            log.exception("pipeline execution %s failed in the sandbox", self.id)
            self._finish("Failed", f"sandbox error: {exc}")
            return
        finally:
            self._stepping = False
        if isinstance(wait, datetime):
            self.wake_at = wait
        elif wait is not None:
            self.wake_at = self.now + timedelta(seconds=wait)

    def poke(self) -> None:
        if not self.done:
            self.wake_at = self.now

    def _touch(self) -> None:
        self.updated = self.now

    # ---- running stages --------------------------------------------------------------------

    def _stages(self, start: int, retry_mode: str | None = None, resumed: bool = False):
        for index in range(start, len(self.stages)):
            stage = self.stages[index]
            name = stage["name"]
            self.stage_index = index
            # resumed after a restart inside this stage: it holds the stage already
            inside = resumed and index == start and self.stage_status.get(name) in ("InProgress", "Stopping")
            if not (index == start and retry_mode) and not inside:
                while not self.state.enter_stage(self, name):
                    if self.done:
                        return
                    yield None  # woken when the stage is released (or superseded)
            if self.status == "Stopping" and not inside:
                self.state.leave_stage(self, name)
                self._stopped()
                return
            if not inside:
                self.stage_status[name] = "InProgress"
                self._touch()
            earlier = self.actions[: self.attempt_start]
            previous = {a.name: a for a in earlier if a.stage == name} if retry_mode else {}
            ok = yield from self._run_stage(stage, previous, retry_mode if index == start else None, inside)
            self.state.leave_stage(self, name)
            if self.status == "Stopping":
                self.stage_status[name] = "Stopped" if not ok else "Succeeded"
                self._stopped()
                return
            if not ok:
                self.stage_status[name] = "Failed"
                failed = [a for a in self.actions if a.stage == name and a.status == "Failed"]
                reason = failed[-1].error["message"] if failed and failed[-1].error else "An action failed"
                self._finish("Failed", f"Stage {name} failed: {reason}")
                return
            self.stage_status[name] = "Succeeded"
        self._finish("Succeeded")

    def _run_stage(self, stage: dict, previous: dict, retry_mode: str | None, resumed: bool = False):
        actions = sorted(stage.get("actions", []), key=lambda a: a.get("runOrder", 1))
        for order, group in itertools.groupby(actions, key=lambda a: a.get("runOrder", 1)):
            runs = self._runs_so_far(stage["name"], order) if resumed else []
            if not runs:
                for decl in group:
                    before = previous.get(decl["name"])
                    if retry_mode == "FAILED_ACTIONS" and before is not None and before.status == "Succeeded":
                        continue
                    run = ActionRun(self, stage["name"], decl, self.now)
                    self.actions.append(run)
                    runs.append(run)
                if not runs:
                    continue
                yield self.rs.world.settings.step_seconds(ACTION_SECONDS)
            # (resumed after a restart: runs not begun were waiting for the yield above, and their time is up)
            for run in runs:
                if not run.begun:
                    self._begin(run)
            while True:
                self._time_out(runs)
                if not any(r.status == "InProgress" for r in runs):
                    break
                if self.status == "Stopping" and self.stop_abandon:
                    for run in runs:
                        if run.status == "InProgress":
                            run.end("Abandoned", self.now, "Abandoned: the pipeline execution was stopped")
                    return False
                deadlines = [r.deadline for r in runs if r.status == "InProgress" and r.deadline]
                yield min(deadlines) if deadlines else None  # or woken by a deployment's end, an approval, a stop
            if any(r.status != "Succeeded" for r in runs):
                return False
            if self.status == "Stopping":
                return True
        return True

    def _time_out(self, runs: list[ActionRun]) -> None:
        """The action fails when its timeout passes; a CodeDeploy deployment it started carries on."""
        for run in runs:
            if run.status == "InProgress" and run.deadline and self.now >= run.deadline:
                message = (
                    f"The action timed out: CodeDeploy deployment {run.deployment_id} did not finish within "
                    f"{DEPLOY_ACTION_TIMEOUT.days} days."
                )
                if run.category == "Approval":
                    message = f"The approval was not answered within {APPROVAL_TIMEOUT.days} days."
                if run.provider == "ECS":
                    message = ecs_deploy_action.timeout_message(run)
                run.end("Failed", self.now, message, {"code": "JobFailed", "message": message})
                self._touch()

    def _runs_so_far(self, stage: str, order: int) -> list[ActionRun]:
        """The action runs of this attempt already made for one run order of a stage (after a restart)."""
        return [
            a
            for a in self.actions[self.attempt_start :]
            if a.stage == stage and a.declaration.get("runOrder", 1) == order
        ]

    def _begin(self, run: ActionRun) -> None:
        run.begun = True
        fault = self.rs.world.faults.take_action_failure(self.pipeline, run.stage, run.name)
        try:
            if fault:
                raise ActionFailed(fault.message or f"The action {run.name} failed (sandbox fault).")
            handler = {
                ("Source", "CodeCommit"): self._source_codecommit,
                ("Source", "S3"): self._source_s3,
                ("Source", "ECR"): self._source_ecr,
                ("Deploy", "CodeDeployToECS"): self._deploy_ecs,
                ("Deploy", "ECS"): lambda run: ecs_deploy_action.begin(self, run),
                ("Approval", "Manual"): self._approval,
            }.get((run.category, run.provider))
            if handler is None:
                raise ActionFailed(f"The sandbox does not run {run.category} actions of provider {run.provider}.")
            handler(run)
        except ActionFailed as exc:
            run.end("Failed", self.now, exc.message, {"code": exc.code, "message": exc.message})
        except (ClientError, AwsErrorResponse) as exc:
            message = str(exc)
            run.end("Failed", self.now, message, {"code": "JobFailed", "message": message})
        self._touch()

    # ---- source actions --------------------------------------------------------------------

    def _output(self, run: ActionRun, files: dict[str, bytes], revision: dict) -> None:
        for artifact in run.declaration.get("outputArtifacts", []):
            run.outputs[artifact["name"]] = {"files": files}
            self.artifacts[artifact["name"]] = {"files": files}
            self.revisions = [r for r in self.revisions if r["name"] != artifact["name"]]
            self.revisions.append({"name": artifact["name"], **revision})
        self.source_revisions = [s for s in self.source_revisions if s["actionName"] != run.name]
        self.source_revisions.append(
            {
                "actionName": run.name,
                "revisionId": revision["revisionId"],
                "revisionSummary": revision.get("revisionSummary"),
                "revisionUrl": revision.get("revisionUrl"),
            }
        )
        run.external_id = revision["revisionId"]
        run.summary = revision.get("revisionSummary")
        run.end("Succeeded", self.now)

    def _source_codecommit(self, run: ActionRun) -> None:
        from sandbox.codecommit import commit_message, read_tree

        config = run.declaration.get("configuration", {})
        repo, branch = config.get("RepositoryName"), config.get("BranchName")
        override = self.source_overrides.get(run.name, {})
        try:
            commit_id, files = read_tree(self.rs, repo, branch, override.get("revisionValue"))
        except AwsErrorResponse as exc:
            raise ActionFailed(exc.message) from exc
        message = commit_message(self.rs, repo, commit_id)
        url = (
            f"https://{self.rs.name}.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/{commit_id}"
        )
        run.variables = {"CommitId": commit_id, "CommitMessage": message, "BranchName": branch, "RepositoryName": repo}
        self._output(
            run,
            files,
            {
                "revisionId": commit_id,
                "revisionChangeIdentifier": commit_id,
                "revisionSummary": message,
                "created": self.now,
                "revisionUrl": url,
            },
        )

    def _source_s3(self, run: ActionRun) -> None:
        config = run.declaration.get("configuration", {})
        bucket, key = config.get("S3Bucket"), config.get("S3ObjectKey")
        override = self.source_overrides.get(run.name, {})
        kwargs = {"Bucket": bucket, "Key": key}
        if override.get("revisionType") == "S3_OBJECT_VERSION_ID":
            kwargs["VersionId"] = override["revisionValue"]
        elif override.get("revisionType") == "S3_OBJECT_KEY":
            kwargs["Key"] = key = override["revisionValue"]
        try:
            obj = self.rs.aws.s3.get_object(**kwargs)
        except ClientError as exc:
            raise ActionFailed(f"Could not read s3://{bucket}/{key}: {exc.response['Error']['Code']}") from exc
        version = obj.get("VersionId")
        if not version or version == "null":
            raise ActionFailed(f"The S3 bucket {bucket} must have versioning enabled to be a pipeline source.")
        body = obj["Body"].read()
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
        except zipfile.BadZipFile as exc:
            raise ActionFailed(f"s3://{bucket}/{key} is not a zip file.") from exc
        run.variables = {"VersionId": version, "ETag": obj.get("ETag", "").strip('"'), "ObjectKey": key}
        self._output(
            run,
            files,
            {
                "revisionId": version,
                "revisionChangeIdentifier": obj.get("ETag", "").strip('"'),
                "revisionSummary": f"Amazon S3 version id: {version}",
                "created": obj.get("LastModified") or self.now,
                "revisionUrl": None,
            },
        )

    def _source_ecr(self, run: ActionRun) -> None:
        config = run.declaration.get("configuration", {})
        repo, tag = config.get("RepositoryName"), config.get("ImageTag") or "latest"
        override = self.source_overrides.get(run.name, {})
        image_id = {"imageTag": tag}
        if override.get("revisionType") == "IMAGE_DIGEST":
            image_id = {"imageDigest": override["revisionValue"]}
        try:
            details = self.rs.aws.ecr.describe_images(repositoryName=repo, imageIds=[image_id])["imageDetails"]
            uri = self.rs.aws.ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryUri"]
        except ClientError as exc:
            wanted = f"image digest '{image_id['imageDigest']}'" if "imageDigest" in image_id else f"image tag '{tag}'"
            raise ActionFailed(f"The {wanted} does not exist in the ECR repository {repo}.") from exc
        image = details[0]
        digest = image["imageDigest"]
        image_uri = f"{uri}@{digest}"
        detail = {
            "ImageSizeInBytes": str(image.get("imageSizeInBytes", 0)),
            "ImageDigest": digest,
            "Version": "1.0",
            "ImagePushedAt": (image.get("imagePushedAt") or self.now).strftime("%a %b %d %H:%M:%S %Z %Y"),
            "RegistryId": image.get("registryId", self.rs.account),
            "RepositoryName": repo,
            "ImageURI": image_uri,
            "ImageTags": image.get("imageTags", [tag]),
        }
        run.variables = {
            "RegistryId": detail["RegistryId"],
            "RepositoryName": repo,
            "ImageTag": tag,
            "ImageDigest": digest,
            "ImageURI": image_uri,
        }
        self._output(
            run,
            {"imageDetail.json": json.dumps(detail).encode()},
            {
                "revisionId": digest,
                "revisionChangeIdentifier": digest,
                "revisionSummary": f"Image tag: {tag}",
                "created": image.get("imagePushedAt") or self.now,
                "revisionUrl": None,
            },
        )

    # ---- deploy and approval ---------------------------------------------------------------

    def _artifact_file(self, artifact: str | None, path: str) -> str:
        if artifact not in self.artifacts:
            raise ActionFailed(f"The input artifact {artifact} was not produced by an earlier stage.")
        files = self.artifacts[artifact]["files"]
        if path not in files:
            raise ActionFailed(f"The file {path} was not found in the artifact {artifact}.")
        return files[path].decode()

    def _deploy_ecs(self, run: ActionRun) -> None:
        config = run.declaration.get("configuration", {})
        taskdef_text = self._artifact_file(
            config.get("TaskDefinitionTemplateArtifact"), config.get("TaskDefinitionTemplatePath") or "taskdef.json"
        )
        appspec_text = self._artifact_file(
            config.get("AppSpecTemplateArtifact"), config.get("AppSpecTemplatePath") or "appspec.yaml"
        )
        for n in range(1, 5):
            artifact, placeholder = config.get(f"Image{n}ArtifactName"), config.get(f"Image{n}ContainerName")
            if not artifact or not placeholder:
                continue
            detail = json.loads(self._artifact_file(artifact, "imageDetail.json"))
            taskdef_text = taskdef_text.replace(f"<{placeholder}>", detail["ImageURI"])
        try:
            taskdef = json.loads(taskdef_text)
        except ValueError as exc:
            raise ActionFailed(f"The task definition file is not valid JSON: {exc}") from exc
        taskdef = {k: v for k, v in taskdef.items() if k not in READ_ONLY_TASKDEF_KEYS}
        try:
            registered = self.rs.aws.ecs.register_task_definition(**taskdef)["taskDefinition"]
        except (ClientError, TypeError, ValueError) as exc:
            raise ActionFailed(f"Exception while trying to register the task definition: {exc}") from exc
        if "<TASK_DEFINITION>" not in appspec_text:
            raise ActionFailed("The AppSpec file must contain the <TASK_DEFINITION> placeholder.")
        appspec_text = appspec_text.replace("<TASK_DEFINITION>", registered["taskDefinitionArn"])
        api = self.rs.world.apis["codedeploy"]
        try:
            result = api.create_deployment(
                self.rs,
                {
                    "applicationName": config.get("ApplicationName"),
                    "deploymentGroupName": config.get("DeploymentGroupName"),
                    "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec_text}},
                    "description": f"Deployment by CodePipeline {self.pipeline} execution {self.id}",
                },
            )
        except AwsErrorResponse as exc:
            raise ActionFailed(f"{exc.code}: {exc.message}") from exc
        run.deployment_id = result["deploymentId"]
        run.external_id = run.deployment_id
        run.external_url = (
            f"https://console.aws.amazon.com/codesuite/codedeploy/deployments/{run.deployment_id}?region={self.rs.name}"
        )
        run.summary = f"Deployment {run.deployment_id} in progress"
        run.deadline = run.start + DEPLOY_ACTION_TIMEOUT
        run.variables = {"TaskDefinitionArn": registered["taskDefinitionArn"], "DeploymentId": run.deployment_id}

    def deployment_finished(self, deployment) -> None:
        for run in self.actions:
            if run.deployment_id == deployment.id and run.status == "InProgress":
                if deployment.status == "Succeeded":
                    run.end("Succeeded", self.now, f"Deployment {deployment.id} succeeded")
                else:
                    message = f"Deployment {deployment.id} {deployment.status.lower()}"
                    if deployment.error:
                        message += f": {deployment.error['message']}"
                    run.end("Failed", self.now, message, {"code": "JobFailed", "message": message})
                self._touch()
                self.poke()

    def service_deployment_finished(self, arn: str) -> None:
        for run in self.actions:
            if run.service_deployment_arn == arn and run.status == "InProgress":
                ecs_deploy_action.finish(self, run)
                self._touch()
                self.poke()

    def _approval(self, run: ActionRun) -> None:
        run.token = str(uuid.uuid4())
        run.summary = (run.declaration.get("configuration") or {}).get("CustomData")
        run.deadline = run.start + APPROVAL_TIMEOUT

    def approve(self, run: ActionRun, status: str, summary: str | None) -> None:
        run.end("Succeeded" if status == "Approved" else "Failed", self.now, summary)
        if status != "Approved":
            run.error = {"code": "JobFailed", "message": f"Rejected: {summary or ''}".strip()}
        self._touch()
        self.poke()

    # ---- endings ---------------------------------------------------------------------------

    def _finish(self, status: str, summary: str | None = None) -> None:
        self.status = status
        self.status_summary = summary
        self._touch()
        self.wake_at = None
        self.waiting_for_stage = None
        self.state.release_all(self)

    def _stopped(self) -> None:
        for name, status in self.stage_status.items():
            if status in ("InProgress", "Stopping"):
                self.stage_status[name] = "Stopped"
        self._finish("Stopped", (self.stop_trigger or {}).get("reason"))

    def stop(self, abandon: bool, reason: str | None) -> None:
        if self.status == "Stopping":
            raise AwsErrorResponse("DuplicatedStopRequestException", f"Execution {self.id} is already being stopped.")
        if self.status != "InProgress":
            raise AwsErrorResponse(
                "PipelineExecutionNotStoppableException", f"Execution {self.id} is {self.status} and cannot be stopped."
            )
        self.status = "Stopping"
        self.stop_abandon = abandon
        self.stop_trigger = {"reason": reason} if reason else {"reason": ""}
        for name, status in self.stage_status.items():
            if status == "InProgress":
                self.stage_status[name] = "Stopping"
        self._touch()
        if abandon or self.waiting_for_stage:
            self.wake_at = self.now + timedelta(seconds=self.rs.world.settings.step_seconds(STOP_SECONDS))

    def supersede(self) -> None:
        self._finish("Superseded", "A newer execution overtook this one.")
        if not self._stepping:
            self._run.close()

    def retry(self, stage_name: str, mode: str) -> None:
        index = next(i for i, s in enumerate(self.stages) if s["name"] == stage_name)
        self.status = "InProgress"
        self.status_summary = None
        self.stop_trigger = None
        self.stage_status[stage_name] = "InProgress"
        for later in self.stages[index + 1 :]:
            self.stage_status.pop(later["name"], None)
        if not self.state.enter_stage(self, stage_name):
            raise AwsErrorResponse("ConflictException", f"Stage {stage_name} is busy with another execution.")
        self.attempt_start = len(self.actions)
        self.retried = (index, mode)
        self._run = self._stages(index, retry_mode=mode)
        self.wake_at = self.now

    # ---- views -----------------------------------------------------------------------------

    def as_execution(self) -> dict:
        return {
            "pipelineName": self.pipeline,
            "pipelineVersion": self.version,
            "pipelineExecutionId": self.id,
            "status": self.status,
            "statusSummary": self.status_summary,
            "artifactRevisions": list(self.revisions),
            "variables": [{"name": v["name"], "resolvedValue": v["value"]} for v in self.variables],
            "trigger": self.trigger,
            "executionMode": self.mode,
            "executionType": "STANDARD",
        }

    def summary(self) -> dict:
        return {
            "pipelineExecutionId": self.id,
            "status": self.status,
            "statusSummary": self.status_summary,
            "startTime": self.start,
            "lastUpdateTime": self.updated,
            "sourceRevisions": list(self.source_revisions),
            "trigger": self.trigger,
            "stopTrigger": self.stop_trigger,
            "executionMode": self.mode,
            "executionType": "STANDARD",
        }
