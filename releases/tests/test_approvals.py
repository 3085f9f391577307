"""Manual approvals: shown where they wait with their summary, link and expiry, answered once with the token read at
send time, AWS's refusals said in plain words, a lost answer reconciled from AWS's state, and AWS's 7-day expiry."""

import pytest

from dashboard import events
from dashboard.audit import AuditEvent
from releases import action_requests, offers
from releases.models import APPROVAL_TIMEOUT, OperatorAction
from releases.tests.conftest import APPROVAL_LINK, APPROVAL_SUMMARY, approval_state, poll_until
from releases.worker import action_sending, polling, senders

A = OperatorAction
OTHER_TOKEN = "00000000-0000-4000-8000-000000000000"


def test_a_waiting_approval_is_read_with_its_summary_link_and_expiry_and_recorded_once(awaiting_approval, sandbox):
    (approval,) = awaiting_approval.waiting_approvals()
    assert (approval["stage"], approval["action"]) == ("Approval", "Review")
    assert (approval["custom_data"], approval["external_link"]) == (APPROVAL_SUMMARY, APPROVAL_LINK)
    assert approval["expires_at"] - approval["since"] == APPROVAL_TIMEOUT
    assert approval["execution_id"] == awaiting_approval.latest_execution().execution_id
    polling.refresh(awaiting_approval.pk)  # a later refresh sees the same approval waiting
    (told,) = AuditEvent.objects.filter(action=events.APPROVAL_WAITING)
    assert told.params["summary"] == APPROVAL_SUMMARY and told.target_id == approval["execution_id"]


def test_an_answer_is_offered_only_while_the_approval_waits_and_sent_once(awaiting_approval, operator, boto, tutorial):
    params = {"execution_id": awaiting_approval.latest_execution().execution_id, "stage": "Approval"}
    offered = offers.available(awaiting_approval)
    assert offered[A.APPROVE] == offered[A.REJECT] == {**params, "approval": "Review"}
    action = action_requests.request_action(awaiting_approval, A.APPROVE, user=operator, reason="notes read")
    with pytest.raises(action_requests.AlreadyRequested):  # a second request while the first is open
        action_requests.request_action(awaiting_approval, A.APPROVE, user=operator, reason="notes read")

    action = action_sending.send(action.pk)
    assert action.status == A.CONFIRMED and action.request_id
    assert (approval_state(boto, tutorial)["status"], approval_state(boto, tutorial)["summary"]) == (
        "Succeeded",
        "notes read",
    )
    polling.refresh(awaiting_approval.pk)
    awaiting_approval.refresh_from_db()
    assert A.APPROVE not in offers.available(awaiting_approval)
    assert A.REJECT not in offers.available(awaiting_approval)


def test_aws_refusing_an_answer_is_said_in_plain_words_and_can_be_asked_again(
    awaiting_approval, operator, boto, tutorial
):
    action = action_requests.request_action(awaiting_approval, A.REJECT, user=operator, reason="not this week")
    token = approval_state(boto, tutorial)["token"]
    boto.codepipeline.put_approval_result(  # someone answers in the AWS console first
        pipelineName=tutorial.pipeline,
        stageName="Approval",
        actionName="Review",
        result={"summary": "approved in the console", "status": "Approved"},
        token=token,
    )
    action = action_sending.send(action.pk)
    assert action.status == A.REJECTED
    assert action.error_message.startswith("The approval no longer waits for an answer.")
    requested, failed = AuditEvent.objects.filter(action=events.REJECT).order_by("id")
    assert (requested.outcome, failed.outcome, failed.error_code) == ("requested", "failed", "ApprovalNotWaiting")


def test_an_answer_whose_reply_was_lost_is_reconciled_from_the_approval_state(awaiting_approval, operator, boto):
    action = action_requests.request_action(awaiting_approval, A.REJECT, user=operator, reason="bad notes")
    assert senders.APPLIED[A.REJECT](awaiting_approval, action.params, action) is None  # still waiting
    senders.SENDERS[A.REJECT](awaiting_approval, action.params, action)  # applied; its answer "lost"
    assert senders.APPLIED[A.REJECT](awaiting_approval, action.params, action) == {"approval_status": "Rejected"}
    assert senders.APPLIED[A.APPROVE](awaiting_approval, action.params, action) is None


def test_an_unanswered_approval_fails_after_seven_days(awaiting_approval, sandbox, boto, tutorial):
    sandbox.advance(APPROVAL_TIMEOUT.total_seconds() + 5)
    target = poll_until(sandbox, awaiting_approval, lambda t: t.latest_execution().status == "Failed", step=5)
    assert approval_state(boto, tutorial)["status"] == "Failed"
    assert not target.waiting_approvals() and A.APPROVE not in offers.available(target)


@pytest.mark.parametrize(
    ("stale", "code", "plain"),
    [
        (True, "ApprovalAlreadyCompletedException", "The approval has already been answered (or it expired)."),
        (False, "InvalidApprovalTokenException", "The approval's run has changed since its token was read; ask again."),
    ],
)
def test_aws_refusing_the_token_is_shown_with_its_code_and_message(
    awaiting_approval, operator, boto, tutorial, monkeypatch, stale, code, plain
):
    """Between the token's reading and the call, someone answered in the AWS console (the token is then spent), or
    the approval's run changed (its token is another)."""
    token = approval_state(boto, tutorial)["token"]
    if stale:
        boto.codepipeline.put_approval_result(
            pipelineName=tutorial.pipeline,
            stageName="Approval",
            actionName="Review",
            result={"summary": "approved in the console", "status": "Approved"},
            token=token,
        )
    monkeypatch.setattr(senders, "_approval_token", lambda *args: token if stale else OTHER_TOKEN)
    action = action_requests.request_action(awaiting_approval, A.APPROVE, user=operator, reason="go ahead")
    action = action_sending.send(action.pk)
    assert action.status == A.REJECTED and action.error_code == code
    assert action.error_message.startswith(f"{plain} (AWS: {code}: ")
    if not stale:  # still waiting: the operator may ask again, and this time the token is the approval's
        monkeypatch.undo()
        again = action_requests.request_action(awaiting_approval, A.APPROVE, user=operator, reason="go ahead")
        assert action_sending.send(again.pk).status == A.CONFIRMED
