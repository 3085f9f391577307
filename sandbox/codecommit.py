"""CodeCommit, emulated: repositories, branches and commits of whole-file snapshots — enough to
keep and read `taskdef.json` and `appspec.yaml` (put_file, create_commit, get_file, get_folder)."""

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.api import AwsErrorResponse, JsonApi
from sandbox.wire import DEFAULT_ACCOUNT

NAME_RE = re.compile(r"^[\w.-]{1,100}$")
FILE_MODES = ("EXECUTABLE", "NORMAL", "SYMLINK")


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def blob_id(content: bytes) -> str:
    return _sha1(b"blob %d\0" % len(content) + content)


@dataclass
class Commit:
    id: str
    tree_id: str
    parents: list[str]
    message: str
    author: dict
    files: dict[str, tuple[str, str]]  # path -> (blob id, file mode)

    def as_dict(self) -> dict:
        return {
            "commitId": self.id,
            "treeId": self.tree_id,
            "parents": self.parents,
            "message": self.message,
            "author": self.author,
            "committer": self.author,
            "additionalData": "",
        }


@dataclass
class Repository:
    name: str
    region: str
    created: datetime
    description: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    modified: datetime | None = None
    default_branch: str | None = None
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    account: str = DEFAULT_ACCOUNT  # a repository saved before accounts existed is the default account's

    @property
    def arn(self) -> str:
        return f"arn:aws:codecommit:{self.region}:{self.account}:{self.name}"

    def metadata(self) -> dict:
        return {
            "accountId": self.account,
            "repositoryId": self.id,
            "repositoryName": self.name,
            "repositoryDescription": self.description or None,
            "defaultBranch": self.default_branch,
            "lastModifiedDate": self.modified or self.created,
            "creationDate": self.created,
            "cloneUrlHttp": f"https://git-codecommit.{self.region}.amazonaws.com/v1/repos/{self.name}",
            "cloneUrlSsh": f"ssh://git-codecommit.{self.region}.amazonaws.com/v1/repos/{self.name}",
            "Arn": self.arn,
        }

    def resolve(self, specifier: str | None) -> Commit:
        """A branch name or commit id (default: the default branch's head) -> the commit."""
        if not specifier:
            if not self.default_branch:
                raise AwsErrorResponse("CommitDoesNotExistException", "The repository has no commits")
            specifier = self.default_branch
        commit_id = self.branches.get(specifier, specifier)
        matches = [c for cid, c in self.commits.items() if cid == commit_id or cid.startswith(commit_id)]
        if len(commit_id) < 7 or len(matches) != 1:
            raise AwsErrorResponse("CommitDoesNotExistException", f"Could not find commit for {specifier}")
        return matches[0]


class CodeCommitState:
    def __init__(self):
        self.repositories: dict[str, Repository] = {}


def _tree_id(files: dict) -> str:
    return _sha1(repr(sorted(files.items())).encode())


def _user(name: str | None, email: str | None, when: datetime) -> dict:
    return {
        "name": name or "sandbox",
        "email": email or "sandbox@example.com",
        "date": f"{int(when.timestamp())} +0000",
    }


def _clean_path(path: str) -> str:
    path = path.strip().strip("/")
    if not path or ".." in path.split("/"):
        raise AwsErrorResponse("InvalidPathException", f"The path {path!r} is not valid")
    return path


class CodeCommit(JsonApi):
    botocore_name = "codecommit"

    @staticmethod
    def _repo(rs, params) -> Repository:
        name = params["repositoryName"]
        if not NAME_RE.match(name):
            raise AwsErrorResponse("InvalidRepositoryNameException", f"{name} is not a valid repository name")
        repo = rs.codecommit.repositories.get(name)
        if repo is None:
            raise AwsErrorResponse("RepositoryDoesNotExistException", f"{name} does not exist")
        return repo

    # ---- repositories ------------------------------------------------------------------------

    def create_repository(self, rs, p):
        name = p["repositoryName"]
        if not NAME_RE.match(name) or name.endswith(".git"):
            raise AwsErrorResponse("InvalidRepositoryNameException", f"{name} is not a valid repository name")
        if name in rs.codecommit.repositories:
            raise AwsErrorResponse("RepositoryNameExistsException", f"Repository named {name} already exists")
        repo = Repository(
            name=name,
            region=rs.name,
            created=rs.now(),
            description=p.get("repositoryDescription", ""),
            account=rs.account,
        )
        repo.tags = dict(p.get("tags", {}))
        rs.codecommit.repositories[name] = repo
        return {"repositoryMetadata": repo.metadata()}

    def get_repository(self, rs, p):
        return {"repositoryMetadata": self._repo(rs, p).metadata()}

    def batch_get_repositories(self, rs, p):
        found, missing = [], []
        for name in p["repositoryNames"]:
            repo = rs.codecommit.repositories.get(name)
            (found.append(repo.metadata()) if repo else missing.append(name))
        return {"repositories": found, "repositoriesNotFound": missing}

    def delete_repository(self, rs, p):
        if not NAME_RE.match(p["repositoryName"]):
            raise AwsErrorResponse(
                "InvalidRepositoryNameException", f"{p['repositoryName']} is not a valid repository name"
            )
        repo = rs.codecommit.repositories.pop(p["repositoryName"], None)
        return {"repositoryId": repo.id} if repo else {}

    def list_repositories(self, rs, p):
        repos = sorted(rs.codecommit.repositories.values(), key=lambda r: r.name)
        if p.get("sortBy") == "lastModifiedDate":
            repos.sort(key=lambda r: r.modified or r.created)
        if p.get("order") == "descending":
            repos.reverse()
        return {"repositories": [{"repositoryName": r.name, "repositoryId": r.id} for r in repos]}

    # ---- branches ----------------------------------------------------------------------------

    def get_branch(self, rs, p):
        repo = self._repo(rs, p)
        branch = p.get("branchName")
        if not branch:
            raise AwsErrorResponse("BranchNameRequiredException", "branchName is required")
        if branch not in repo.branches:
            raise AwsErrorResponse("BranchDoesNotExistException", f"Branch {branch} does not exist")
        return {"branch": {"branchName": branch, "commitId": repo.branches[branch]}}

    def list_branches(self, rs, p):
        return {"branches": sorted(self._repo(rs, p).branches)}

    def create_branch(self, rs, p):
        repo = self._repo(rs, p)
        if p["branchName"] in repo.branches:
            raise AwsErrorResponse("BranchNameExistsException", f"Branch {p['branchName']} already exists")
        commit = repo.resolve(p["commitId"])
        repo.branches[p["branchName"]] = commit.id
        rs.world.on_reference_changed(rs, repo, p["branchName"], commit.id, None)
        return {}

    def update_default_branch(self, rs, p):
        repo = self._repo(rs, p)
        if p["defaultBranchName"] not in repo.branches:
            raise AwsErrorResponse("BranchDoesNotExistException", f"Branch {p['defaultBranchName']} does not exist")
        repo.default_branch = p["defaultBranchName"]
        return {}

    # ---- commits -----------------------------------------------------------------------------

    def get_commit(self, rs, p):
        repo = self._repo(rs, p)
        commit = repo.commits.get(p["commitId"])
        if commit is None:
            raise AwsErrorResponse("CommitIdDoesNotExistException", f"Commit {p['commitId']} does not exist")
        return {"commit": commit.as_dict()}

    def _parent(self, repo: Repository, branch: str, parent_id: str | None) -> Commit | None:
        head = repo.branches.get(branch)
        if head is None:
            if repo.branches and parent_id is None:
                raise AwsErrorResponse("ParentCommitIdRequiredException", "A parent commit ID is required")
            if parent_id is None:
                return None
            if parent_id not in repo.commits:
                raise AwsErrorResponse("ParentCommitDoesNotExistException", f"Commit {parent_id} does not exist")
            return repo.commits[parent_id]
        if parent_id is None:
            raise AwsErrorResponse(
                "ParentCommitIdRequiredException", f"A parent commit ID is required to commit to branch {branch}"
            )
        if parent_id not in repo.commits:
            raise AwsErrorResponse("ParentCommitDoesNotExistException", f"Commit {parent_id} does not exist")
        if parent_id != head:
            raise AwsErrorResponse(
                "ParentCommitIdOutdatedException", f"{parent_id} is not the latest commit on branch {branch}"
            )
        return repo.commits[parent_id]

    def _commit(self, rs, repo, branch, parent, files, message, name, email) -> Commit:
        now = rs.now()
        parents = [parent.id] if parent else []
        seed = f"{repo.id}{parents}{sorted(files.items())}{message}{now.isoformat()}{len(repo.commits)}"
        commit = Commit(
            id=_sha1(seed.encode()),
            tree_id=_tree_id(files),
            parents=parents,
            message=message or "",
            author=_user(name, email, now),
            files=files,
        )
        repo.commits[commit.id] = commit
        old = repo.branches.get(branch)
        repo.branches[branch] = commit.id
        repo.default_branch = repo.default_branch or branch
        repo.modified = now
        rs.world.on_reference_changed(rs, repo, branch, commit.id, old)
        return commit

    def put_file(self, rs, p):
        repo = self._repo(rs, p)
        branch = p["branchName"]
        parent = self._parent(repo, branch, p.get("parentCommitId"))
        path = _clean_path(p["filePath"])
        content = p["fileContent"]
        mode = p.get("fileMode", "NORMAL")
        files = dict(parent.files) if parent else {}
        blob = blob_id(content)
        if files.get(path) == (blob, mode):
            raise AwsErrorResponse("SameFileContentException", f"The file {path} already has this content")
        repo.blobs[blob] = content
        files[path] = (blob, mode)
        commit = self._commit(rs, repo, branch, parent, files, p.get("commitMessage"), p.get("name"), p.get("email"))
        return {"commitId": commit.id, "blobId": blob, "treeId": commit.tree_id}

    def create_commit(self, rs, p):
        repo = self._repo(rs, p)
        branch = p["branchName"]
        parent = self._parent(repo, branch, p.get("parentCommitId"))
        files = dict(parent.files) if parent else {}
        added, updated, deleted = [], [], []
        for entry in p.get("putFiles", []):
            path = _clean_path(entry["filePath"])
            mode = entry.get("fileMode", "NORMAL")
            if "fileContent" in entry:
                content = entry["fileContent"]
            elif "sourceFile" in entry:
                source = _clean_path(entry["sourceFile"]["filePath"])
                if source not in files:
                    raise AwsErrorResponse("FileDoesNotExistException", f"{source} does not exist")
                content = repo.blobs[files[source][0]]
                if entry["sourceFile"].get("isMove"):
                    del files[source]
            else:
                raise AwsErrorResponse(
                    "FileContentAndSourceFileSpecifiedException", f"{path} needs fileContent or sourceFile"
                )
            blob = blob_id(content)
            repo.blobs[blob] = content
            (updated if path in files else added).append({"absolutePath": path, "blobId": blob, "fileMode": mode})
            files[path] = (blob, mode)
        for entry in p.get("deleteFiles", []):
            path = _clean_path(entry["filePath"])
            if path not in files:
                raise AwsErrorResponse("FileDoesNotExistException", f"{path} does not exist")
            blob, mode = files.pop(path)
            deleted.append({"absolutePath": path, "blobId": blob, "fileMode": mode})
        for entry in p.get("setFileModes", []):
            path = _clean_path(entry["filePath"])
            if path not in files:
                raise AwsErrorResponse("FileDoesNotExistException", f"{path} does not exist")
            files[path] = (files[path][0], entry["fileMode"])
        if parent and files == parent.files or not parent and not files:
            raise AwsErrorResponse("NoChangeException", "The commit contains no changes")
        commit = self._commit(
            rs, repo, branch, parent, files, p.get("commitMessage"), p.get("authorName"), p.get("email")
        )
        return {
            "commitId": commit.id,
            "treeId": commit.tree_id,
            "filesAdded": added,
            "filesUpdated": updated,
            "filesDeleted": deleted,
        }

    # ---- reading -----------------------------------------------------------------------------

    def get_file(self, rs, p):
        repo = self._repo(rs, p)
        commit = repo.resolve(p.get("commitSpecifier"))
        path = _clean_path(p["filePath"])
        if path not in commit.files:
            raise AwsErrorResponse("FileDoesNotExistException", f"The file {path} does not exist in {commit.id}")
        blob, mode = commit.files[path]
        content = repo.blobs[blob]
        return {
            "commitId": commit.id,
            "blobId": blob,
            "filePath": path,
            "fileMode": mode,
            "fileSize": len(content),
            "fileContent": content,
        }

    def get_blob(self, rs, p):
        repo = self._repo(rs, p)
        if p["blobId"] not in repo.blobs:
            raise AwsErrorResponse("BlobIdDoesNotExistException", f"Blob {p['blobId']} does not exist")
        return {"content": repo.blobs[p["blobId"]]}

    def get_folder(self, rs, p):
        repo = self._repo(rs, p)
        commit = repo.resolve(p.get("commitSpecifier"))
        folder = p["folderPath"].strip().strip("/")
        prefix = f"{folder}/" if folder else ""
        files, folders = [], {}
        for path, (blob, mode) in sorted(commit.files.items()):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            if "/" in rest:
                name = rest.split("/", 1)[0]
                folders[name] = {k: v for k, v in commit.files.items() if k.startswith(f"{prefix}{name}/")}
            else:
                files.append({"blobId": blob, "absolutePath": path, "relativePath": rest, "fileMode": mode})
        if folder and not files and not folders:
            raise AwsErrorResponse("FolderDoesNotExistException", f"The folder {folder} does not exist in {commit.id}")
        return {
            "commitId": commit.id,
            "folderPath": "/" + folder if folder else "/",
            "treeId": _tree_id({k: v for k, v in commit.files.items() if k.startswith(prefix)}),
            "subFolders": [
                {"treeId": _tree_id(content), "absolutePath": f"{prefix}{name}", "relativePath": name}
                for name, content in sorted(folders.items())
            ],
            "files": files,
            "symbolicLinks": [],
            "subModules": [],
        }


def read_tree(rs, repository: str, branch: str, commit_id: str | None = None) -> tuple[str, dict[str, bytes]]:
    """The head commit of a branch (or a given commit) and all its files, for the pipeline's source action."""
    repo = rs.codecommit.repositories.get(repository)
    if repo is None:
        raise AwsErrorResponse("RepositoryDoesNotExistException", f"The repository {repository} does not exist")
    if branch not in repo.branches:
        raise AwsErrorResponse("BranchDoesNotExistException", f"The branch {branch} does not exist in {repository}")
    commit = repo.resolve(commit_id) if commit_id else repo.commits[repo.branches[branch]]
    return commit.id, {path: repo.blobs[blob] for path, (blob, _) in commit.files.items()}


def commit_message(rs, repository: str, commit_id: str) -> str:
    repo = rs.codecommit.repositories.get(repository)
    commit = repo.commits.get(commit_id) if repo else None
    return commit.message if commit else ""
