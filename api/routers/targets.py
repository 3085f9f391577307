"""Release targets: the list with their state, and one target's live state (the console page's snapshot)."""

import hashlib

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from dashboard.roles import VIEWER
from releases.models import ReleaseTarget

from .. import schemas, snapshots
from ..auth import require

router = Router(tags=["targets"])
STATE_CACHE_SECONDS = 60


def etag(version):
    return f'"{version}"'


def not_modified(request, version):
    """304 when the client's If-None-Match names the version it holds."""
    held = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag(version) in held:
        response = HttpResponseNotModified()
        response["ETag"] = etag(version)
        return response
    return None


@router.get("/targets", response={200: schemas.TargetList, 304: None}, url_name="targets")
def list_targets(request, response: HttpResponse):
    """Every tracked target with its state; `version` (also the ETag) changes whenever any of them does."""
    require(request, VIEWER)
    listed = snapshots.summaries()
    if unchanged := not_modified(request, listed["version"]):
        return unchanged
    response["ETag"] = etag(listed["version"])
    return listed


class StateQuery(Schema):
    version: int | None = Field(None, ge=0, description="The version you hold: unchanged → {changed: false}.")
    release: str = Field("", max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$", description="An execution id.")


@router.get(
    "/targets/{pk}",
    response={200: schemas.TargetState | schemas.Unchanged, 304: None},
    url_name="target",
)
def target_state(request, response: HttpResponse, pk: int, query: Query[StateQuery]):
    """One target's live state, with its version. While it has not moved: 304 to If-None-Match with its ETag, or
    `{"version": N, "changed": false}` to `?version=N`."""
    require(request, VIEWER)
    target = get_object_or_404(ReleaseTarget, pk=pk)
    if unchanged := not_modified(request, target.version):
        return unchanged
    response["ETag"] = etag(target.version)
    if query.version == target.version:
        return {"version": target.version, "changed": False}
    return state_at_version(target, query.release)


def state_at_version(target, release):
    """The snapshot, made once per version (and release shown): what the page shows changes only with a bump of the
    version, which is why its fragment may answer 204 when the version has not moved."""
    release_key = hashlib.sha1(release.encode(), usedforsecurity=False).hexdigest()[:12]
    key = f"api-state:{target.pk}:{target.version}:{release_key}"
    state = cache.get(key)
    if state is None:
        state = snapshots.state(target, release or None)
        cache.set(key, state, timeout=STATE_CACHE_SECONDS)
    return state
