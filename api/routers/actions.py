"""Operator actions: which are possible now, requesting one with a reason, and following it to AWS's answer.

A request goes through the console's own `request_action` (roles, send-once, audit); the worker sends it."""

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from dashboard.roles import OPERATOR, VIEWER
from releases import action_kinds, action_requests, offers
from releases.models import OperatorAction, ReleaseTarget
from releases.web import display
from releases.web.forms import ActionForm

from .. import schemas, snapshots
from ..auth import require
from ..errors import BadInput, Conflict

router = Router(tags=["actions"])
ERRORS = {400: schemas.FieldErrors, 401: schemas.Error, 403: schemas.Error, 404: schemas.Error}


@router.get("/targets/{pk}/actions", response={200: schemas.Offers, **ERRORS}, url_name="offers")
def available_actions(request, pk: int):
    """The actions AWS accepts in the target's current state, with the ids to send back as `expected`."""
    require(request, VIEWER)
    target = get_object_or_404(ReleaseTarget, pk=pk)
    may_request = request.auth.role == OPERATOR  # the token's role is already capped by its owner's
    return snapshots.offers(target, offers.available(target), may_request)


@router.post(
    "/targets/{pk}/actions/{kind}",
    response={202: schemas.Action, 409: schemas.Error, **ERRORS},
    url_name="request-action",
)
def request_action(request, pk: int, kind: str, body: schemas.ActionRequest):
    """Ask for an action with a reason. 202: requested, the worker sends it once (follow `status_url`); 409: not
    possible now, or the same action was asked already (a second request never makes a second AWS call), or a
    freeze refuses it (`code` "frozen"; an admin may send `override_freeze` with a reason)."""
    require(request, OPERATOR)
    target = get_object_or_404(ReleaseTarget, pk=pk)
    if kind not in action_kinds.KINDS:
        raise BadInput({"kind": [f"Not an action; one of: {', '.join(action_kinds.KINDS)}."]})
    data = {**body.dict(), "abandon": "1" if body.abandon else ""}
    data.update(override_freeze="1" if body.override_freeze else "", override_reason=body.override_freeze)
    form = ActionForm(data, kind=kind)
    if not form.is_valid():
        raise BadInput(form.errors)
    try:
        done = action_requests.request_from_form(target, kind, form, request)
    except action_requests.ActionRefused as refused:
        raise Conflict(str(refused), refused.code) from None
    request.api_audited = True  # its `requested` event is the audit of this call, with the token's name
    return Status(202, snapshots.action(done))


@router.get("/actions/{pk}", response={200: schemas.Action, **ERRORS}, url_name="action")
def action_status(request, pk: int):
    """An action as it stands: requested, sent, then confirmed, rejected, failed (AWS's code and message) or
    timed out."""
    require(request, VIEWER)
    done = get_object_or_404(OperatorAction.objects.select_related("requested_by", "target"), pk=pk)
    return snapshots.action(done, answer=display.answer_now(done))
