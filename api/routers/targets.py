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


def etag(version, release=""):
    """The version, and the release shown when one was asked for: a state of one release is not another's."""
    return f'"{version}-{_digest(release)}"' if release else f'"{version}"'


def _digest(text):
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def not_modified(request, tag):
    """304 when the client's If-None-Match names the ETag it holds."""
    held = [each.strip().removeprefix("W/") for each in request.headers.get("If-None-Match", "").split(",")]
    if tag in held:
        response = HttpResponseNotModified()
        response["ETag"] = tag
        return response
    return None


@router.get("/targets", response={200: schemas.TargetList, 304: None}, url_name="targets")
def list_targets(request, response: HttpResponse):
    """Every tracked target with its state; `version` (also the ETag) changes whenever any of them does."""
    require(request, VIEWER)
    version = snapshots.summaries_version()  # before the list: an unchanged answer costs one look
    if unchanged := not_modified(request, etag(version)):
        return unchanged
    response["ETag"] = etag(version)
    return snapshots.summaries(version)


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
    tag = etag(target.version, query.release)
    if unchanged := not_modified(request, tag):
        return unchanged
    response["ETag"] = tag
    if query.version == target.version:
        return {"version": target.version, "changed": False}
    return state_at_version(target, query.release)


def state_at_version(target, release):
    """The snapshot, made once per version (and release shown): what the page shows changes only with a bump of the
    version, which is why its fragment may answer 204 when the version has not moved."""
    # The row's creation time as well as its pk: a restored database can give another target the same pk and version.
    key = f"api-state:{target.pk}:{target.created_at.timestamp():.6f}:{target.version}:{_digest(release)}"
    state = cache.get(key)
    if state is None:
        state = snapshots.state(target, release or None)
        cache.set(key, state, timeout=STATE_CACHE_SECONDS)
    return state
