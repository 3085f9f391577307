"""Step 1: the ECR repository the pipeline watches, and the first image in it."""

from provisioning.worker.step_context import Action, Waiting

KEY, TITLE = "repository", "Image repository"
HELP = "Creates the Amazon ECR repository the pipeline watches, and puts the first image in it."
OUTPUTS = ("repository_uri", "repository_arn", "image", "image_digest")
IMAGE_ACTION = "image"  # the sub-action that waits for an image push
MISSING = ("RepositoryNotFoundException",)


def plan(setup):
    repo, tag = setup.config["ecr_repository"], setup.config["image_tag"]
    return [
        Action("repository", f"ECR repository {repo}"),
        Action("image", f"First image {repo}:{tag}"),
    ]


def run(ctx):
    ctx.do("repository", lambda: repository(ctx))
    ctx.do("image", lambda: first_image(ctx))


def repository(ctx):
    name = ctx.config["ecr_repository"]

    def find():
        found = ctx.find(MISSING, "ecr", "describe_repositories", repositoryNames=[name])
        return described(found["repositories"][0]) if found else None

    def create():
        made = ctx.call("ecr", "create_repository", repositoryName=name, tags=ctx.tags())
        return described(made["repository"])

    found = ctx.ensure("ecr.repository", name, find=find, create=create)
    return {"repository_uri": found["uri"], "repository_arn": found["arn"], "detail": found["detail"]}


def described(repo):
    return {"arn": repo["repositoryArn"], "uri": repo["repositoryUri"]}


def first_image(ctx):
    name, tag = ctx.config["ecr_repository"], ctx.config["image_tag"]
    found = ctx.find(
        ("ImageNotFoundException",), "ecr", "describe_images", repositoryName=name, imageIds=[{"imageTag": tag}]
    )
    if not found or not found["imageDetails"]:
        raise Waiting(f"No image tagged {tag} in {name} yet: push one (see the commands).")
    digest = found["imageDetails"][0]["imageDigest"]
    return {"image": f"{ctx.outputs['repository_uri']}:{tag}", "image_digest": digest, "detail": digest[:19]}
