"""Step 2: the task execution role, the task definition with the real image, and taskdef.json and
appspec.yaml (imagedefinitions.json when ECS deploys blue/green itself) kept where the pipeline reads them (a
CodeCommit repository, or a zip in a versioned S3 bucket)."""

from provisioning.source_files import task_definition
from provisioning.worker import iam_roles, source_store
from provisioning.worker.step_context import Action

KEY, TITLE = "taskdef", "Task definition and AppSpec"
HELP = (  # shown on the step's page
    "Creates the task execution role and registers the task definition with your image, then keeps "
    "taskdef.json and appspec.yaml where the pipeline reads them: a CodeCommit repository, or a zip in a "
    "versioned S3 bucket."
)
ECS_TITLE = "Task definition and image definitions"
ECS_HELP = (
    "Creates the task execution role and registers the task definition with your image, then keeps "
    "imagedefinitions.json (the container and image the pipeline's Amazon ECS deploy action deploys) where the "
    "pipeline reads it: a CodeCommit repository, or a zip in a versioned S3 bucket."
)
OUTPUTS = ("execution_role_arn", "task_definition_arn", "source_revision")
EXECUTION_POLICY = "service-role/AmazonECSTaskExecutionRolePolicy"


def plan(setup):
    config = setup.config
    return [
        Action("execution_role", f"Task execution role {config['execution_role']}"),
        Action("task_definition", f"Task definition {config['family']} with the image"),
        *source_store.plan(setup),
    ]


def run(ctx):
    ctx.do("execution_role", lambda: execution_role(ctx))
    ctx.do("task_definition", lambda: register(ctx))
    source_store.run(ctx)


def execution_role(ctx):
    role = iam_roles.ensure_role(
        ctx, ctx.config["execution_role"], "ecs-tasks.amazonaws.com", managed=[EXECUTION_POLICY]
    )
    return {"execution_role_arn": role["arn"], "detail": role["detail"]}


def register(ctx):
    family = ctx.config["family"]
    desired = task_definition(
        ctx.config, image=ctx.outputs["image"], execution_role_arn=ctx.outputs["execution_role_arn"]
    )

    def find():
        # Our last registration first: after a release the family's latest revision carries the released image.
        recorded = ctx.setup.resources.filter(kind="ecs.task-definition", name=family).exclude(arn="")
        for reference in [*recorded.values_list("arn", flat=True), family]:
            found = ctx.find(
                ("ClientException",), "ecs", "describe_task_definition", taskDefinition=reference, include=["TAGS"]
            )
            if found and found["taskDefinition"]["status"] == "ACTIVE" and same(found["taskDefinition"], desired):
                return {"arn": found["taskDefinition"]["taskDefinitionArn"], "tags": found.get("tags")}
        return None

    def create():
        with iam_roles.new_role_propagating(iam_roles.ECS_ROLE_CODES, "Amazon ECS", iam_roles.ECS_ROLE_MESSAGE):
            made = ctx.call("ecs", "register_task_definition", **desired, tags=ctx.tags("key"))
        return {"arn": made["taskDefinition"]["taskDefinitionArn"]}

    registered = ctx.ensure("ecs.task-definition", family, find=find, create=create)
    revision = registered["arn"].rsplit("/", 1)[-1]
    return {"task_definition_arn": registered["arn"], "detail": f"{revision}, {registered['detail']}"}


def same(found, desired):
    def essentials(document):
        container = document["containerDefinitions"][0]
        return (
            document.get("executionRoleArn"),
            str(document.get("cpu")),
            str(document.get("memory")),
            document.get("networkMode"),
            tuple(document.get("requiresCompatibilities", [])),
            container["name"],
            container["image"],
            tuple((p.get("containerPort"), p.get("hostPort"), p.get("protocol")) for p in container["portMappings"]),
        )

    return essentials(found) == essentials(desired)
