"""The sub-actions of each phase. A run records what it found before changing anything and what it made
(`run.saved`), so that Roll back undoes exactly that, and a rerun skips what is done."""

import io
import zipfile

from dashboard import aws
from provisioning.worker.step_context import StepError, Waiting
from releases.models import ReleaseTarget
from releases.service_deployments import CODEDEPLOY
from releases.worker.migration import plan, preconditions, survey
from releases.worker.track import track_pipeline


class Work:
    """A claimed run: AWS calls through the target's connection, and its checklist."""

    def __init__(self, run):
        self.run = run
        self.target = run.target
        self.saved = run.saved

    def call(self, service, operation, /, **params):
        self.run.heartbeat()
        return aws.call(service, operation, self.target.connection(), **params)

    def find(self, missing, service, operation, /, **params):
        try:
            return self.call(service, operation, **params)
        except aws.AwsError as error:
            if error.code in missing:
                return None
            raise

    def do(self, key, work):
        action = self.run.action(key)
        if action["status"] == "done":
            return
        action.update(status="running", detail="")
        self.run.save_progress(saved=self.saved)
        try:
            detail = work() or ""
        except Waiting as waiting:
            action.update(status="waiting", detail=waiting.message)
            raise
        except Exception as error:
            action.update(
                status="failed",
                detail=f"{getattr(error, 'code', type(error).__name__)}: {getattr(error, 'message', error)}",
            )
            raise
        action.update(status="done", detail=detail)
        self.run.save_progress(saved=self.saved)

    def facts(self):
        self.run.heartbeat()
        return survey.read(self.target)

    def made(self, what):
        return self.saved.get("made", {}).get(what)

    def keep(self, what, value):
        self.saved.setdefault("made", {})[what] = value
        self.run.save_progress(saved=self.saved)


def checked_facts(work):
    facts = work.facts()
    failed = [c for c in preconditions.run(facts) if c["ok"] is False]
    if failed:
        raise StepError("PreconditionsFailed", " ".join(f"{c['title']}: {c['message']}" for c in failed))
    return facts


# ---- dry run -------------------------------------------------------------------------------------


def dry_run(work):
    found = {}

    def read():
        found["facts"] = work.facts()
        return ""

    def check():
        work.run.preconditions = preconditions.run(found["facts"])
        failed = [c for c in work.run.preconditions if c["ok"] is False]
        work.run.save_progress(preconditions=work.run.preconditions)
        return f"{len(failed)} failed" if failed else "all passed"

    def shown():
        if not work.run.passed:
            return "none: a precondition failed"
        work.run.plan = plan.shown(found["facts"], work.run.options)
        work.run.save_progress(plan=work.run.plan)
        return f"{len(work.run.plan)} changes"

    for key, step in (("survey", read), ("preconditions", check), ("plan", shown)):
        work.run.action(key)["status"] = "pending"  # a dry run reads AWS afresh each time
        work.do(key, step)


# ---- run -----------------------------------------------------------------------------------------


def run(work):
    facts = {}

    def fresh():
        if "facts" not in facts:
            facts["facts"] = work.facts()
        return facts["facts"]

    def check():
        found = checked_facts(work)
        facts["facts"] = found
        work.saved.setdefault(
            "before",
            {
                "pipeline": {k: v for k, v in found.pipeline.items() if k != "version"},
                "desired": found.service.get("desiredCount", 1),
                "service": found.service_name,
                "new_service": found.new_service_name,
                "cluster": found.cluster,
                "application": found.deploy_action["configuration"]["ApplicationName"],
                "group": found.deploy_action["configuration"]["DeploymentGroupName"],
            },
        )
        return "all passed"

    work.do("preconditions", check)
    work.do("infrastructure_role", lambda: infrastructure_role(work, fresh()))
    work.do("listener_rules", lambda: listener_rules(work, fresh()))
    work.do("image_definitions", lambda: image_definitions(work, fresh()))
    work.do("pipeline_role", lambda: pipeline_role(work, fresh()))
    work.do("new_service", lambda: new_service(work, fresh()))
    work.do("first_deployment", lambda: first_deployment(work))
    work.do("scale_in", lambda: scale(work, 0))
    work.do("pipeline", lambda: pipeline(work, fresh()))
    work.do("track", lambda: track(work))


def infrastructure_role(work, facts):
    if facts.role:
        return f"role {facts.role['RoleName']} already there"
    made = work.call("iam", "create_role", **plan.create_role(facts))["Role"]
    work.keep("role", made["RoleName"])
    work.call("iam", "attach_role_policy", **plan.attach_policy(facts))
    facts.role = made
    return f"created {made['RoleName']}"


def listener_rules(work, facts):
    rules = dict(work.made("rules") or {})
    for route in ("prod", "test"):
        if route not in rules:
            made = work.call("elbv2", "create_rule", **plan.listener_rule(facts, route))["Rules"][0]
            rules[route] = made["RuleArn"]
            work.keep("rules", rules)
    return "production and test rules added"


def image_definitions(work, facts):
    content = survey.image_definitions(facts)
    if facts.image_definitions == content:
        return "already there, as it should be"
    config = facts.files_action["configuration"]
    if facts.files_action["actionTypeId"]["provider"] == "CodeCommit":
        branch = work.call(
            "codecommit", "get_branch", repositoryName=config["RepositoryName"], branchName=config["BranchName"]
        )
        work.call(
            "codecommit",
            "create_commit",
            repositoryName=config["RepositoryName"],
            branchName=config["BranchName"],
            parentCommitId=branch["branch"]["commitId"],
            putFiles=[{"filePath": survey.IMAGE_DEFINITIONS, "fileContent": content.encode()}],
            commitMessage="Add imagedefinitions.json for the Amazon ECS deploy action",
        )
    else:
        body = work.call("s3", "get_object", Bucket=config["S3Bucket"], Key=config["S3ObjectKey"])["Body"].read()
        work.call(
            "s3", "put_object", Bucket=config["S3Bucket"], Key=config["S3ObjectKey"], Body=with_file(body, content)
        )
    work.keep("image_definitions", True)
    return "written"


def with_file(zipped, content):
    """The source zip with imagedefinitions.json added (or replaced) beside the files it had."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zipped)) as before, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as after:
        for info in before.infolist():
            if info.filename != survey.IMAGE_DEFINITIONS:
                after.writestr(info, before.read(info.filename))
        info = zipfile.ZipInfo(survey.IMAGE_DEFINITIONS, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        after.writestr(info, content)
    return out.getvalue()


def pipeline_role(work, facts):
    policy = plan.pipeline_role_policy(facts)
    work.call("iam", "put_role_policy", **policy)
    work.keep("policy", policy["RoleName"])
    return f"policy {policy['PolicyName']} on {policy['RoleName']}"


def new_service(work, facts):
    if work.made("new_service"):
        return "already created"
    request = plan.create_service(facts, work.run.options, work.made("rules"))
    made = work.call("ecs", "create_service", **request)["service"]
    work.keep("new_service", made["serviceArn"])
    return f"created {made['serviceName']}"


def first_deployment(work):
    before = work.saved["before"]
    service = work.call("ecs", "describe_services", cluster=before["cluster"], services=[before["new_service"]])
    current = (service.get("services") or [{}])[0].get("currentServiceDeployment")
    if not current:
        raise Waiting(f"Waiting for ECS to start {before['new_service']}'s first service deployment.")
    deployment = work.call("ecs", "describe_service_deployments", serviceDeploymentArns=[current])[
        "serviceDeployments"
    ][0]
    status = deployment["status"]
    if status == "SUCCESSFUL":
        return f"{current.rsplit('/', 1)[-1]} SUCCESSFUL"
    if status in ("STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"):
        raise StepError(status, deployment.get("statusReason") or f"The service deployment ended {status}.")
    stage = deployment.get("lifecycleStage", "")
    raise Waiting(
        f"{before['new_service']}'s first service deployment is {status}{' at ' + stage if stage else ''}.",
        give_up_after=None,
    )


def scale(work, count):
    before = work.saved["before"]
    work.call("ecs", "update_service", cluster=before["cluster"], service=before["service"], desiredCount=count)
    return f"{before['service']}: {count} tasks"


def pipeline(work, facts):
    current = work.call("codepipeline", "get_pipeline", name=work.target.pipeline_name)["pipeline"]
    if facts.deploy_action and facts.pipeline_version != current.get("version"):
        facts = work.facts()
    if not facts.deploy_action:
        return "already deploys with the Amazon ECS action"
    declared = plan.pipeline_with_ecs_action(facts)
    work.call("codepipeline", "update_pipeline", pipeline=declared)
    work.keep("pipeline", True)
    return "deploy action: Amazon ECS"


def track(work):
    target = track_pipeline(work.target.pipeline_name, connection=work.target.connection(), user=work.run.requested_by)
    target.poll_soon()
    return f"followed as {target.get_engine_display()}"


# ---- roll back -----------------------------------------------------------------------------------


def rollback(work):
    before, made = work.saved.get("before", {}), work.saved.get("made", {})

    def check():
        if not made.get("new_service"):
            return "no ECS service was made"
        found = work.call(
            "ecs",
            "list_service_deployments",
            cluster=before["cluster"],
            service=before["new_service"],
            status=["PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"],
        )
        busy = [d["serviceDeploymentArn"].rsplit("/", 1)[-1] for d in found.get("serviceDeployments", [])]
        if busy:
            raise StepError(
                "DeploymentInProgress",
                f"Service {before['new_service']} has a service deployment in progress ({', '.join(busy)}): "
                "let it end or stop it first.",
            )
        return "no service deployment in progress"

    work.do("check", check)
    work.do("scale_out", lambda: scaled_out(work))
    work.do("pipeline", lambda: restore_pipeline(work))
    work.do("listener_rules", lambda: delete_rules(work))
    work.do("new_service", lambda: delete_new_service(work))
    work.do("pipeline_role", lambda: delete_policy(work))
    work.do("track", lambda: track_codedeploy(work))


def scaled_out(work):
    before = work.saved["before"]
    service = work.call("ecs", "describe_services", cluster=before["cluster"], services=[before["service"]])[
        "services"
    ][0]
    if service["desiredCount"] != before["desired"]:
        scale(work, before["desired"])
        raise Waiting(f"Waiting for {before['service']}'s {before['desired']} task(s) to run.")
    primary = next((s for s in service.get("taskSets", []) if s.get("status") == "PRIMARY"), {})
    if primary.get("runningCount", 0) < before["desired"]:
        raise Waiting(
            f"{before['service']} runs {primary.get('runningCount', 0)} of {before['desired']} task(s).",
        )
    return f"{before['service']}: {before['desired']} task(s) running"


def restore_pipeline(work):
    if not work.made("pipeline"):
        return "the pipeline was not changed"
    current = work.call("codepipeline", "get_pipeline", name=work.target.pipeline_name)["pipeline"]
    declared = {**work.saved["before"]["pipeline"], "version": current["version"]}
    work.call("codepipeline", "update_pipeline", pipeline=declared)
    return "deploy action: CodeDeployToECS again"


def delete_rules(work):
    for arn in (work.made("rules") or {}).values():
        work.find(("RuleNotFound",), "elbv2", "delete_rule", RuleArn=arn)
    return "traffic back on the listeners' default actions"


def delete_new_service(work):
    before = work.saved["before"]
    if not work.made("new_service"):
        return "none was made"
    work.find(
        ("ServiceNotFoundException", "ServiceNotActiveException"),
        "ecs",
        "delete_service",
        cluster=before["cluster"],
        service=before["new_service"],
        force=True,
    )
    return f"{before['new_service']} deleted"


def delete_policy(work):
    role = work.made("policy")
    if not role:
        return "none was added"
    work.find(("NoSuchEntity",), "iam", "delete_role_policy", RoleName=role, PolicyName=plan.PIPELINE_POLICY)
    return f"policy {plan.PIPELINE_POLICY} removed from {role}"


def track_codedeploy(work):
    target = track_pipeline(work.target.pipeline_name, connection=work.target.connection(), user=work.run.requested_by)
    ReleaseTarget.objects.filter(pk=target.pk).update(engine=CODEDEPLOY)
    target.poll_soon()
    return "followed through CodeDeploy"


# ---- delete the CodeDeploy resources -------------------------------------------------------------


def delete(work):
    before = work.saved["before"]

    def check():
        found = checked_ecs(work, before)
        return found

    work.do("check", check)
    work.do("deployment_group", lambda: delete_group(work, before))
    work.do("application", lambda: delete_application(work, before))
    work.do("old_service", lambda: delete_old_service(work, before))


def checked_ecs(work, before):
    pipeline_now = work.call("codepipeline", "get_pipeline", name=work.target.pipeline_name)["pipeline"]
    providers = {a["actionTypeId"]["provider"] for s in pipeline_now["stages"] for a in s["actions"]}
    if "CodeDeployToECS" in providers:
        raise StepError(
            "StillOnCodeDeploy", f"Pipeline {work.target.pipeline_name} still deploys with CodeDeployToECS."
        )
    return f"pipeline deploys to {before['new_service']} with the Amazon ECS action"


def delete_group(work, before):
    work.find(
        ("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"),
        "codedeploy",
        "delete_deployment_group",
        applicationName=before["application"],
        deploymentGroupName=before["group"],
    )
    return f"{before['application']}/{before['group']} deleted"


def delete_application(work, before):
    groups = work.find(
        ("ApplicationDoesNotExistException",),
        "codedeploy",
        "list_deployment_groups",
        applicationName=before["application"],
    )
    if groups is None:
        return "already gone"
    if groups.get("deploymentGroups"):
        return f"kept: it has other deployment groups ({', '.join(groups['deploymentGroups'])})"
    work.call("codedeploy", "delete_application", applicationName=before["application"])
    return f"{before['application']} deleted"


def delete_old_service(work, before):
    work.find(
        ("ServiceNotFoundException", "ServiceNotActiveException"),
        "ecs",
        "delete_service",
        cluster=before["cluster"],
        service=before["service"],
        force=True,
    )
    return f"{before['service']} deleted"


PHASES = {"dry_run": dry_run, "run": run, "rollback": rollback, "delete": delete}
