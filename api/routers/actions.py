"""Operator actions: which are possible now, requesting one with a reason, and following it to AWS's answer.

A request goes through the console's own `request_action` (roles, send-once, audit); the worker sends it."""

from django.shortcuts import get_object_or_404
from ninja import Router, Status

from dashboard.roles import OPERATOR, VIEWER
from releases import action_kinds, action_requests, offers
from releases.models import FourEyesRequest, OperatorAction, ReleaseTarget
from releases.web import display, four_eyes
from releases.web.forms import ActionForm, DecisionForm

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
    response={202: schemas.Action | schemas.FourEyesRequest, 409: schemas.Error, **ERRORS},
    url_name="request-action",
)
def request_action(request, pk: int, kind: str, body: schemas.ActionRequest):
    """Ask for an action with a reason. 202: requested, the worker sends it once (follow `status_url`); or, when
    the target puts it under four eyes, a pending request (`"four_eyes": true`) that a different operator approves
    at `/four-eyes/{id}/approve`. 409: not possible now, or the same action was asked already (a second request
    never makes a second AWS call), or a freeze refuses it (`code` "frozen"; an admin may send `override_freeze`
    with a reason)."""
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
        if four_eyes.needed(target, kind):
            asked = four_eyes.ask(target, kind, form, request)
            request.api_audited = True  # audited as asked, with the token's name
            return Status(202, snapshots.four_eyes(asked))
        done = action_requests.request_from_form(target, kind, form, request)
    except action_requests.ActionRefused as refused:
        raise Conflict(str(refused), refused.code) from None
    request.api_audited = True  # its `requested` event is the audit of this call, with the token's name
    return Status(202, snapshots.action(done))


@router.get(
    "/targets/{pk}/four-eyes", response={200: list[schemas.FourEyesRequest], **ERRORS}, url_name="four-eyes-list"
)
def four_eyes_requests(request, pk: int):
    """The target's open four-eyes requests and the last few answered or expired, newest first."""
    require(request, VIEWER)
    target = get_object_or_404(ReleaseTarget, pk=pk)
    return [snapshots.four_eyes(asked) for asked in four_eyes.recent(target)]


@router.get("/four-eyes/{pk}", response={200: schemas.FourEyesRequest, **ERRORS}, url_name="four-eyes")
def four_eyes_request(request, pk: int):
    require(request, VIEWER)
    return snapshots.four_eyes(get_object_or_404(FourEyesRequest, pk=pk))


@router.post(
    "/four-eyes/{pk}/{answer}",
    response={200: schemas.FourEyesRequest, 409: schemas.Error, **ERRORS},
    url_name="four-eyes-answer",
)
def answer_four_eyes(request, pk: int, answer: str, body: schemas.Decision):
    """`approve` (the action is then requested once, credited to both: follow `action_url`) or `decline`, with a
    reason. 409: your own request, answered already, or expired; or the action itself is refused now."""
    require(request, OPERATOR)
    if answer not in ("approve", "decline"):
        raise BadInput({"answer": ["One of: approve, decline."]})
    asked = get_object_or_404(FourEyesRequest.objects.select_related("target", "requested_by"), pk=pk)
    form = DecisionForm(body.dict())
    if not form.is_valid():
        raise BadInput(form.errors)
    decide = four_eyes.approve if answer == "approve" else four_eyes.decline
    try:
        decide(asked, user=request.user, reason=form.cleaned_data["reason"], request=request)
    except action_requests.ActionRefused as refused:
        raise Conflict(str(refused), refused.code) from None
    request.api_audited = True
    asked.refresh_from_db()
    return snapshots.four_eyes(asked)


@router.get("/actions/{pk}", response={200: schemas.Action, **ERRORS}, url_name="action")
def action_status(request, pk: int):
    """An action as it stands: requested, sent, then confirmed, rejected, failed (AWS's code and message) or
    timed out."""
    require(request, VIEWER)
    done = get_object_or_404(OperatorAction.objects.select_related("requested_by", "target"), pk=pk)
    return snapshots.action(done, answer=display.answer_now(done))
