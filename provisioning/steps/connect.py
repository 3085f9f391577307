"""Step 0: who the wizard is in AWS (STS), and whether the endpoint is the local sandbox."""

from dashboard import sandbox_info

from .base import Action

KEY, TITLE = "connect", "Connect"


def plan(setup):
    return [
        Action("identity", f"Ask STS who we are in {setup.region}"),
        Action("sandbox", "Check whether the endpoint is the local sandbox"),
        Action("repositories", "List the ECR repositories there are to pick from"),
    ]


def run(ctx):
    ctx.do("identity", lambda: identity(ctx))
    ctx.do("sandbox", lambda: sandbox(ctx))
    ctx.do("repositories", lambda: repositories(ctx))


def identity(ctx):
    found = ctx.call("sts", "get_caller_identity")
    detail = f"account {found['Account']} as {found['Arn']}"
    return {"account": found["Account"], "identity_arn": found["Arn"], "detail": detail}


def sandbox(ctx):
    is_sandbox = sandbox_info.probe(ctx.setup.connection().endpoint_url) is not None
    return {"is_sandbox": is_sandbox, "detail": "the local sandbox AWS" if is_sandbox else "AWS"}


def repositories(ctx):
    found = [repo["repositoryName"] for repo in ctx.paginate("ecr", "describe_repositories", "repositories")]
    return {"ecr_repositories": sorted(found), "detail": f"{len(found)} found"}
