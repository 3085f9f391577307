"""Where the pipeline reads its source files (taskdef.json and appspec.yaml, or imagedefinitions.json): a CodeCommit
repository (as in the tutorial), or a zip of them in a versioned S3 bucket (for accounts that cannot create CodeCommit
repositories)."""

from dashboard import aws
from provisioning.models import Setup
from provisioning.source_files import digest, for_setup, source_files, source_zip
from provisioning.worker.iam_roles import partition
from provisioning.worker.step_context import Action, Change, StepError

COMMIT_MESSAGE = "Added task definition files"


def plan(setup):
    config = setup.config
    names = file_names(setup)
    if config["source"] == Setup.S3:
        return [
            Action("source_store", f"Versioned S3 bucket {config['source_bucket']}"),
            Action("source_files", f"Upload {names} as {config['source_key']}"),
        ]
    return [
        Action("source_store", f"CodeCommit repository {config['codecommit_repository']}"),
        Action("source_files", f"Commit {names} to {config['branch']}"),
    ]


def file_names(setup):
    return " and ".join(source_files(setup.config, "", engine=setup.engine))


def run(ctx):
    if ctx.config["source"] == Setup.S3:
        ctx.do("source_store", lambda: bucket(ctx, ctx.config["source_bucket"], versioned=True))
        ctx.do("source_files", lambda: upload(ctx))
    else:
        ctx.do("source_store", lambda: codecommit_repository(ctx))
        ctx.do("source_files", lambda: commit(ctx))


def files(ctx):
    return for_setup(ctx.config, ctx.outputs, ctx.setup.engine)


# CodeCommit ------------------------------------------------------------------------------------------------


def codecommit_repository(ctx):
    name = ctx.config["codecommit_repository"]

    def find():
        found = ctx.find(("RepositoryDoesNotExistException",), "codecommit", "get_repository", repositoryName=name)
        return {"arn": found["repositoryMetadata"]["Arn"]} if found else None

    def create():
        made = ctx.call(
            "codecommit",
            "create_repository",
            repositoryName=name,
            repositoryDescription=f"The pipeline's source files of the blue/green setup {ctx.name}",
            tags=ctx.tags("map"),
        )
        return {"arn": made["repositoryMetadata"]["Arn"]}

    return {"detail": ctx.ensure("codecommit.repository", name, find=find, create=create)["detail"]}


def commit(ctx):
    name, branch = ctx.config["codecommit_repository"], ctx.config["branch"]
    wanted = files(ctx)
    head = ctx.find(
        ("BranchDoesNotExistException",), "codecommit", "get_branch", repositoryName=name, branchName=branch
    )
    parent = head["branch"]["commitId"] if head else None
    changed = [path for path, content in wanted.items() if not parent or committed(ctx, name, parent, path) != content]
    if not changed:
        return {"source_revision": parent, "detail": f"already at {parent[:8]}"}
    made = ctx.call(
        "codecommit",
        "create_commit",
        repositoryName=name,
        branchName=branch,
        **({"parentCommitId": parent} if parent else {}),
        authorName="Blue/green dashboard",
        commitMessage=COMMIT_MESSAGE,
        putFiles=[{"filePath": path, "fileContent": content.encode()} for path, content in wanted.items()],
    )
    if parent:
        thing = f"{', '.join(changed)} on {branch} of {name}"
        ctx.record_changes([Change(thing, "the files", f"commit {parent[:8]}", f"commit {made['commitId'][:8]}")])
    return {"source_revision": made["commitId"], "detail": f"commit {made['commitId'][:8]}"}


def committed(ctx, repository, commit_id, path):
    found = ctx.find(
        ("FileDoesNotExistException",),
        "codecommit",
        "get_file",
        repositoryName=repository,
        commitSpecifier=commit_id,
        filePath=path,
    )
    return found["fileContent"].decode() if found else None


# S3 --------------------------------------------------------------------------------------------------------

NO_BUCKET = ("404", "NoSuchBucket", "NotFound")


def bucket(ctx, name, *, versioned=False):
    """A bucket of ours (tagged, and versioned when asked), or an existing one adopted as it is."""
    region = ctx.setup.region

    def find():
        try:
            found = ctx.find(NO_BUCKET, "s3", "head_bucket", Bucket=name)
        except aws.AwsError as error:
            if error.code not in ("403", "Forbidden"):
                raise
            raise StepError("BucketNameTaken", f"The bucket name {name} is taken by someone else.") from error
        return None if found is None else {"arn": f"arn:{partition(ctx)}:s3:::{name}"}

    def create():
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        ctx.call("s3", "create_bucket", Bucket=name, **location)
        return {"arn": f"arn:{partition(ctx)}:s3:::{name}"}

    found = ctx.ensure("s3.bucket", name, find=find, create=create)
    is_versioned = versioned and ctx.call("s3", "get_bucket_versioning", Bucket=name).get("Status") == "Enabled"
    if found["owned"]:
        tags = ctx.find(("NoSuchTagSet",), "s3", "get_bucket_tagging", Bucket=name)
        if not ctx.tagged_ours(tags and tags["TagSet"]):
            ctx.call("s3", "put_bucket_tagging", Bucket=name, Tagging={"TagSet": ctx.tags()})
        if versioned and not is_versioned:
            ctx.call("s3", "put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    elif versioned and not is_versioned:
        raise StepError(
            "BucketNotVersioned",
            f"The bucket {name} exists but is not versioned; CodePipeline's S3 source needs versioning. "
            "Turn it on, or choose another bucket name.",
        )
    return {"detail": found["detail"]}


def upload(ctx):
    name, key = ctx.config["source_bucket"], ctx.config["source_key"]
    data = source_zip(files(ctx))
    checksum = digest(data)
    head = ctx.find(NO_BUCKET + ("NoSuchKey",), "s3", "head_object", Bucket=name, Key=key)
    if head and head.get("Metadata", {}).get("sha256") == checksum:
        return {"source_revision": head.get("VersionId", ""), "detail": "already there, unchanged"}
    made = ctx.call(
        "s3",
        "put_object",
        Bucket=name,
        Key=key,
        Body=data,
        ContentType="application/zip",
        Metadata={"sha256": checksum},
    )
    if head:
        before, after = head.get("VersionId", "")[:12], made.get("VersionId", "")[:12]
        ctx.record_changes([Change(f"{key} in {name}", file_names(ctx.setup), f"version {before}", f"version {after}")])
    return {"source_revision": made.get("VersionId", ""), "detail": f"version {made.get('VersionId', '')[:12]}"}
