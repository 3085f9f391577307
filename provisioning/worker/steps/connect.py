"""Step 0: who the wizard is in AWS (STS), and the image repositories there are."""

from provisioning.worker.step_context import Action

KEY, TITLE = "connect", "Connect"
HELP = (  # shown on the step's page
    "Checks who the wizard is in AWS (the account and identity your credentials belong to), and which image "
    "repositories there are."
)
OUTPUTS = ("account", "identity_arn", "ecr_repositories")


def plan(setup):
    return [
        Action("identity", f"Ask STS who we are in {setup.region}"),
        Action("repositories", "List the ECR repositories there are to pick from"),
    ]


def run(ctx):
    ctx.do("identity", lambda: identity(ctx))
    ctx.do("repositories", lambda: repositories(ctx))


def identity(ctx):
    found = ctx.call("sts", "get_caller_identity")
    detail = f"account {found['Account']} as {found['Arn']}"
    return {"account": found["Account"], "identity_arn": found["Arn"], "detail": detail}


def repositories(ctx):
    found = [repo["repositoryName"] for repo in ctx.paginate("ecr", "describe_repositories", "repositories")]
    return {"ecr_repositories": sorted(found), "detail": f"{len(found)} found"}
