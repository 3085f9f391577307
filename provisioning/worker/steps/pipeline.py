"""Step 6: the pipeline's service role and artifact bucket, the pipeline (Source: the files and the ECR image;
Deploy: CodeDeployToECS, or the Amazon ECS deploy action when ECS deploys blue/green itself), the EventBridge rule
that starts it when an image is pushed, and the rule and queue that tell the release console of releases as they
happen (event_queue.py)."""

import json

from provisioning.models import Setup
from provisioning.source_files import APPSPEC_FILE, IMAGEDEFINITIONS_FILE, TASKDEF_FILE
from provisioning.worker import event_queue, iam_roles
from provisioning.worker.source_store import bucket
from provisioning.worker.step_context import Action, Change
from releases.worker import event_rule

KEY, TITLE = "pipeline", "Pipeline"
HELP = (  # shown on the step's page
    "Creates the pipeline (Source: the two files and the ECR image; Deploy: Amazon ECS blue/green), its "
    "service role and artifact bucket, the EventBridge rule that starts it when an image is pushed, and the rule "
    "and SQS queue that tell the release console of each release as it happens."
)
ECS_HELP = (
    "Creates the pipeline (Source: imagedefinitions.json and the ECR image; Deploy: the Amazon ECS deploy action, "
    "which starts the service's blue/green deployment), its service role and artifact bucket, the EventBridge rule "
    "that starts it when an image is pushed, and the rule and SQS queue that tell the release console of each "
    "release as it happens."
)
# The ECS deploy action's longest wait for the service deployment (CodePipeline: 1 to 60 minutes).
ECS_DEPLOY_TIMEOUT_MINUTES = 60
OUTPUTS = ("pipeline_role_arn", "pipeline_arn", "events_role_arn", "events_queue_url", "events_queue_arn")
SOURCE_ARTIFACT, IMAGE_ARTIFACT, IMAGE_PLACEHOLDER_NAME = "SourceArtifact", "MyImage", "IMAGE1_NAME"


def plan(setup):
    c = setup.config
    approval = ", with an approval before Deploy" if c.get("approval") else ""
    deploy = " (Deploy: Amazon ECS blue/green, no CodeDeploy)" if setup.uses_ecs else ""
    return [
        Action("role", f"Pipeline service role {c['pipeline_role']}"),
        Action("artifact_bucket", f"Artifact bucket {c['artifact_bucket']}"),
        Action("pipeline", f"Pipeline {c['pipeline']}{deploy}{approval}"),
        Action("events_role", f"Role {c['events_role']} that lets EventBridge start the pipeline"),
        Action("image_rule", f"Rule {c['image_rule']}: an image pushed to {c['ecr_repository']}:{c['image_tag']}"),
        Action("events_queue", f"Queue {event_rule.NAME} that tells the release console of releases as they happen"),
        Action("events_rule", f"Rule {event_rule.NAME}: pipeline, deployment and image events to that queue"),
    ]


def run(ctx):
    ctx.do("role", lambda: role(ctx))
    ctx.do("artifact_bucket", lambda: bucket(ctx, ctx.config["artifact_bucket"]))
    ctx.do("pipeline", lambda: pipeline(ctx))
    ctx.do("events_role", lambda: events_role(ctx))
    ctx.do("image_rule", lambda: image_rule(ctx))
    ctx.do("events_queue", lambda: event_queue.queue(ctx))
    ctx.do("events_rule", lambda: event_queue.rule(ctx))


def role(ctx):
    found = iam_roles.ensure_role(
        ctx, ctx.config["pipeline_role"], "codepipeline.amazonaws.com", inline=role_policy(ctx)
    )
    return {"pipeline_role_arn": found["arn"], "detail": found["detail"]}


CODEDEPLOY_DEPLOY = [
    "codedeploy:CreateDeployment",
    "codedeploy:GetApplication",
    "codedeploy:GetApplicationRevision",
    "codedeploy:GetDeployment",
    "codedeploy:GetDeploymentConfig",
    "codedeploy:RegisterApplicationRevision",
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
]
# The ECS deploy action: it registers a revision of the service's task definition and updates the service (CodePipeline
# user guide, "Amazon ECS deploy action reference", service role permissions).
ECS_DEPLOY = [
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:DescribeTasks",
    "ecs:ListTasks",
    "ecs:RegisterTaskDefinition",
    "ecs:TagResource",
    "ecs:UpdateService",
]


def role_policy(ctx):
    c, out, part = ctx.config, ctx.outputs, iam_roles.partition(ctx)
    buckets = [c["artifact_bucket"]] + ([c["source_bucket"]] if c["source"] == Setup.S3 else [])
    statements = [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"],
            "Resource": [f"arn:{part}:s3:::{b}" for b in buckets] + [f"arn:{part}:s3:::{b}/*" for b in buckets],
        },
        {"Effect": "Allow", "Action": ["ecr:DescribeImages"], "Resource": out["repository_arn"]},
        {"Effect": "Allow", "Action": ECS_DEPLOY if ctx.setup.uses_ecs else CODEDEPLOY_DEPLOY, "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": out["execution_role_arn"],
            "Condition": {"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
    ]
    if c["source"] == Setup.CODECOMMIT:
        statements.append(
            {
                "Effect": "Allow",
                "Action": [
                    "codecommit:GetBranch",
                    "codecommit:GetCommit",
                    "codecommit:UploadArchive",
                    "codecommit:GetUploadArchiveStatus",
                    "codecommit:CancelUploadArchive",
                ],
                "Resource": f"arn:{part}:codecommit:{ctx.setup.region}:{out['account']}:{c['codecommit_repository']}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def structure(ctx):
    """The pipeline as the tutorial builds it in the console (with the eight CodeDeployToECS keys), or with the ECS
    deploy action in its place."""
    c, out = ctx.config, ctx.outputs
    if c["source"] == Setup.S3:
        files = source_action("S3", {"S3Bucket": c["source_bucket"], "S3ObjectKey": c["source_key"]})
    else:
        files = source_action("CodeCommit", {"RepositoryName": c["codecommit_repository"], "BranchName": c["branch"]})
    image = {
        "name": "Image",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
        "configuration": {"RepositoryName": c["ecr_repository"], "ImageTag": c["image_tag"]},
        "outputArtifacts": [{"name": IMAGE_ARTIFACT}],
        "runOrder": 1,
    }
    stages = [{"name": "Source", "actions": [files, image]}, {"name": "Deploy", "actions": [deploy_action(ctx)]}]
    if c.get("approval"):
        stages.insert(1, approval_stage(c.get("approval_summary", "")))
    return {
        "name": c["pipeline"],
        "roleArn": out["pipeline_role_arn"],
        "artifactStore": {"type": "S3", "location": c["artifact_bucket"]},
        "stages": stages,
    }


def deploy_action(ctx):
    """The tutorial's CodeDeployToECS action, or the Amazon ECS deploy action (provider ECS), which puts the image of
    imagedefinitions.json in a new revision of the service's task definition and updates the service."""
    c = ctx.config
    if ctx.setup.uses_ecs:
        provider, inputs = "ECS", [{"name": SOURCE_ARTIFACT}]
        configuration = {
            "ClusterName": c["cluster"],
            "ServiceName": c["service"],
            "FileName": IMAGEDEFINITIONS_FILE,
            "DeploymentTimeout": str(ECS_DEPLOY_TIMEOUT_MINUTES),
        }
    else:
        provider, inputs = "CodeDeployToECS", [{"name": SOURCE_ARTIFACT}, {"name": IMAGE_ARTIFACT}]
        configuration = {
            "AppSpecTemplateArtifact": SOURCE_ARTIFACT,
            "AppSpecTemplatePath": APPSPEC_FILE,
            "TaskDefinitionTemplateArtifact": SOURCE_ARTIFACT,
            "TaskDefinitionTemplatePath": TASKDEF_FILE,
            "ApplicationName": c["application"],
            "DeploymentGroupName": c["deployment_group"],
            "Image1ArtifactName": IMAGE_ARTIFACT,
            "Image1ContainerName": IMAGE_PLACEHOLDER_NAME,
        }
    return {
        "name": "Deploy",
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": provider, "version": "1"},
        "configuration": configuration,
        "inputArtifacts": inputs,
        "runOrder": 1,
    }


def approval_stage(summary):
    configuration = {"CustomData": summary} if summary else {}
    return {
        "name": "Approval",
        "actions": [
            {
                "name": "Approval",
                "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
                "configuration": configuration,
                "runOrder": 1,
            }
        ],
    }


def source_action(provider, configuration):
    # No polling: releases start from image pushes (the rule below); a changed taskdef/appspec is released
    # with the next image, or with "Release change".
    return {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": provider, "version": "1"},
        "configuration": {**configuration, "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": SOURCE_ARTIFACT}],
        "runOrder": 1,
    }


def pipeline(ctx):
    name = ctx.config["pipeline"]
    declared = {}

    def find():
        found = ctx.find(("PipelineNotFoundException",), "codepipeline", "get_pipeline", name=name)
        if not found:
            return None
        declared.update(found["pipeline"])
        return {"arn": found["metadata"]["pipelineArn"]}

    def create():
        with iam_roles.new_role_propagating("InvalidStructureException", "CodePipeline", "AssumeRole"):
            ctx.call("codepipeline", "create_pipeline", pipeline=structure(ctx), tags=ctx.tags("key"))
        return find()

    def update(_changes):
        wanted = {**structure(ctx), "version": declared["version"]}
        with iam_roles.new_role_propagating("InvalidStructureException", "CodePipeline", "AssumeRole"):
            ctx.call("codepipeline", "update_pipeline", pipeline=wanted)

    found = ctx.ensure("codepipeline.pipeline", name, find=find, create=create)
    thing = f"pipeline {name}"
    changes = declaration_changes(declared, structure(ctx), thing) if declared else []
    return {"pipeline_arn": found["arn"], "detail": ctx.bring_in_line(found, changes, thing=thing, apply=update)}


def flattened(declaration):
    """The declaration's values by a path a person can read: "Deploy/Deploy configuration.ApplicationName"."""
    flat = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        elif (
            isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v and len(v) > 1 for v in value)
        ):
            for item in value:
                walk(f"{prefix}[{item['name']}]", {k: v for k, v in item.items() if k != "name"})
        else:
            flat[prefix] = value

    walk("", {k: v for k, v in declaration.items() if k not in ("version", "name")})
    # CodePipeline answers with its defaults filled in (pipelineType, executionMode...): only what the wizard sets.
    return flat


def declaration_changes(found, wanted, thing):
    has, says = flattened(found), flattened(wanted)
    changes = [
        Change(thing, path, has.get(path, "(none)"), value) for path, value in says.items() if has.get(path) != value
    ]
    kept = {stage["name"] for stage in wanted.get("stages", [])}
    gone = [stage["name"] for stage in found.get("stages", []) if stage["name"] not in kept]
    return changes + [Change(thing, f"stages[{name}]", "present", "(none)") for name in gone]


def events_role(ctx):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "codepipeline:StartPipelineExecution",
                "Resource": ctx.outputs["pipeline_arn"],
            }
        ],
    }
    found = iam_roles.ensure_role(ctx, ctx.config["events_role"], "events.amazonaws.com", inline=policy)
    return {"events_role_arn": found["arn"], "detail": found["detail"]}


def image_rule(ctx):
    c = ctx.config
    name = c["image_rule"]
    pattern = {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        "detail": {
            "action-type": ["PUSH"],
            "result": ["SUCCESS"],
            "repository-name": [c["ecr_repository"]],
            "image-tag": [c["image_tag"]],
        },
    }

    def find():
        found = ctx.find(("ResourceNotFoundException",), "events", "describe_rule", Name=name)
        return {"arn": found["Arn"]} if found else None

    def create():
        made = ctx.call(
            "events",
            "put_rule",
            Name=name,
            EventPattern=json.dumps(pattern),
            State="ENABLED",
            Description=f"Starts the pipeline {c['pipeline']} when an image is pushed (setup {ctx.name})",
            Tags=ctx.tags(),
        )
        return {"arn": made["RuleArn"]}

    found = ctx.ensure("events.rule", name, find=find, create=create)
    target = {"Id": "pipeline", "Arn": ctx.outputs["pipeline_arn"], "RoleArn": ctx.outputs["events_role_arn"]}
    if found["owned"] and target not in ctx.call("events", "list_targets_by_rule", Rule=name)["Targets"]:
        ctx.call("events", "put_targets", Rule=name, Targets=[target])
    return {"detail": found["detail"]}
