"""CodeCommit: enough of it to keep and read taskdef.json and appspec.yaml."""

import pytest
from botocore.exceptions import ClientError


def error_code(caught):
    return caught.value.response["Error"]["Code"]


def test_first_put_file_creates_the_branch_and_makes_it_the_default(aws):
    meta = aws.codecommit.create_repository(repositoryName="MyDemoRepo")["repositoryMetadata"]
    assert "defaultBranch" not in meta
    first = aws.codecommit.put_file(
        repositoryName="MyDemoRepo", branchName="master", fileContent=b'{"family": "ecs-demo"}', filePath="taskdef.json"
    )
    assert aws.codecommit.get_repository(repositoryName="MyDemoRepo")["repositoryMetadata"]["defaultBranch"] == "master"
    assert (
        aws.codecommit.get_branch(repositoryName="MyDemoRepo", branchName="master")["branch"]["commitId"]
        == first["commitId"]
    )
    got = aws.codecommit.get_file(repositoryName="MyDemoRepo", filePath="taskdef.json")
    assert got["fileContent"] == b'{"family": "ecs-demo"}'
    assert (got["commitId"], got["blobId"], got["fileMode"]) == (first["commitId"], first["blobId"], "NORMAL")


def test_put_file_needs_the_current_parent_commit(aws):
    aws.codecommit.create_repository(repositoryName="repo")
    first = aws.codecommit.put_file(repositoryName="repo", branchName="main", fileContent=b"1", filePath="a.txt")
    with pytest.raises(ClientError) as caught:
        aws.codecommit.put_file(repositoryName="repo", branchName="main", fileContent=b"2", filePath="a.txt")
    assert error_code(caught) == "ParentCommitIdRequiredException"
    second = aws.codecommit.put_file(
        repositoryName="repo", branchName="main", fileContent=b"2", filePath="a.txt", parentCommitId=first["commitId"]
    )
    with pytest.raises(ClientError) as caught:
        aws.codecommit.put_file(
            repositoryName="repo",
            branchName="main",
            fileContent=b"3",
            filePath="a.txt",
            parentCommitId=first["commitId"],
        )
    assert error_code(caught) == "ParentCommitIdOutdatedException"
    with pytest.raises(ClientError) as caught:
        aws.codecommit.put_file(
            repositoryName="repo",
            branchName="main",
            fileContent=b"2",
            filePath="a.txt",
            parentCommitId=second["commitId"],
        )
    assert error_code(caught) == "SameFileContentException"
    commit = aws.codecommit.get_commit(repositoryName="repo", commitId=second["commitId"])["commit"]
    assert commit["parents"] == [first["commitId"]]
    old = aws.codecommit.get_file(repositoryName="repo", filePath="a.txt", commitSpecifier=first["commitId"])
    assert old["fileContent"] == b"1"


def test_create_commit_with_several_files_and_get_folder(aws):
    aws.codecommit.create_repository(repositoryName="repo")
    result = aws.codecommit.create_commit(
        repositoryName="repo",
        branchName="main",
        authorName="dev",
        email="dev@example.com",
        commitMessage="initial",
        putFiles=[
            {"filePath": "taskdef.json", "fileContent": b"{}"},
            {"filePath": "appspec.yaml", "fileContent": b"version: 0.0"},
            {"filePath": "docs/readme.md", "fileContent": b"# hi"},
        ],
    )
    assert sorted(f["absolutePath"] for f in result["filesAdded"]) == ["appspec.yaml", "docs/readme.md", "taskdef.json"]
    root = aws.codecommit.get_folder(repositoryName="repo", folderPath="/")
    assert sorted(f["relativePath"] for f in root["files"]) == ["appspec.yaml", "taskdef.json"]
    assert [f["relativePath"] for f in root["subFolders"]] == ["docs"]
    with pytest.raises(ClientError) as caught:
        aws.codecommit.create_commit(repositoryName="repo", branchName="main", parentCommitId=result["commitId"])
    assert error_code(caught) == "NoChangeException"


def test_branches_and_repository_listing(aws):
    aws.codecommit.create_repository(repositoryName="repo")
    commit = aws.codecommit.put_file(repositoryName="repo", branchName="main", fileContent=b"x", filePath="x")[
        "commitId"
    ]
    aws.codecommit.create_branch(repositoryName="repo", branchName="release", commitId=commit)
    assert aws.codecommit.list_branches(repositoryName="repo")["branches"] == ["main", "release"]
    with pytest.raises(ClientError) as caught:
        aws.codecommit.create_branch(repositoryName="repo", branchName="release", commitId=commit)
    assert error_code(caught) == "BranchNameExistsException"
    assert [r["repositoryName"] for r in aws.codecommit.list_repositories()["repositories"]] == ["repo"]
    assert aws.codecommit.delete_repository(repositoryName="repo")["repositoryId"]
    with pytest.raises(ClientError) as caught:
        aws.codecommit.get_repository(repositoryName="repo")
    assert error_code(caught) == "RepositoryDoesNotExistException"
