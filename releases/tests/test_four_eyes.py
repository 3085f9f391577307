"""Four eyes without a browser: who may answer, expiry, decline, the admin's choice, and the API's refusal."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard import events
from dashboard.audit import AuditEvent
from releases import action_requests
from releases.models import FourEyesRequest, OperatorAction, ReleaseTarget
from releases.web import four_eyes
from releases.web.forms import ActionForm

A = OperatorAction


@pytest.fixture
def target(db, admin_user):
    target = ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")
    four_eyes.choose(target, [A.RELEASE_CHANGE, A.ROLLBACK], user=admin_user)  # rollback is not choosable
    return target


class Asking:
    def __init__(self, user):
        self.user, self.META, self.htmx = user, {}, False


def ask(target, user):
    form = ActionForm({"reason": "ship the fix"}, kind=A.RELEASE_CHANGE)
    assert form.is_valid()
    return four_eyes.ask(target, A.RELEASE_CHANGE, form, Asking(user))


def test_the_admins_choice_is_kept_and_audited_and_a_direct_request_is_refused(target, operator):
    assert target.four_eyes_kinds == [A.RELEASE_CHANGE]
    assert AuditEvent.objects.get(action=events.FOUR_EYES_KINDS_SET).params["kinds"] == [A.RELEASE_CHANGE]
    with pytest.raises(action_requests.NeedsSecondOperator) as refused:
        action_requests.request_action(target, A.RELEASE_CHANGE, user=operator, reason="ship")
    assert refused.value.code == "four_eyes"


def test_the_requester_cannot_approve_a_second_operator_can_once_credited_to_both(target, operator, admin_user):
    asked = ask(target, operator)
    with pytest.raises(action_requests.ActionRefused, match="a different operator must answer it"):
        four_eyes.approve(asked, user=operator, reason="looks fine")
    action = four_eyes.approve(asked, user=admin_user, reason="checked the diff")
    assert action.requested_by == operator and action.status == A.REQUESTED
    requested = AuditEvent.objects.get(action=events.RELEASE_CHANGE, outcome="requested")
    assert requested.actor_name == "otto-operator" and requested.params["approved_by"] == "ada-admin"
    assert AuditEvent.objects.get(action=events.FOUR_EYES_APPROVED).reason == "checked the diff"
    asked.refresh_from_db()
    with pytest.raises(action_requests.ActionRefused, match="approved already"):
        four_eyes.approve(asked, user=admin_user, reason="again")
    assert A.objects.count() == 1


def test_a_declined_or_expired_request_sends_nothing(target, operator, admin_user, settings):
    declined = ask(target, operator)
    four_eyes.decline(declined, user=admin_user, reason="not on a Friday")
    assert FourEyesRequest.objects.get(pk=declined.pk).status == FourEyesRequest.DECLINED
    expired = ask(target, operator)
    FourEyesRequest.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired.refresh_from_db()
    assert expired.shown_status == "expired"
    with pytest.raises(action_requests.ActionRefused, match="expired"):
        four_eyes.approve(expired, user=admin_user, reason="late")
    assert not A.objects.exists()
    settings.FOUR_EYES_MINUTES = 5
    fresh = ask(target, operator)
    assert timedelta(minutes=4) < fresh.expires_at - timezone.now() <= timedelta(minutes=5)


def test_an_admin_chooses_the_kinds_on_the_page_and_an_operator_may_not(target, client_for, operator, admin_user):
    url = f"/releases/{target.pk}/four-eyes/"
    assert client_for(operator).post(url, {"kinds": [A.REROUTE]}).status_code == 403
    assert client_for(admin_user).post(url, {"kinds": [A.REROUTE, A.TERMINATE_ORIGINAL]}).status_code == 302
    target.refresh_from_db()
    assert target.four_eyes_kinds == [A.REROUTE, A.TERMINATE_ORIGINAL]


def test_an_admins_freeze_override_given_when_asking_is_carried_to_the_approval(target, operator, admin_user):
    from releases import freezes

    freezes.set_freeze(target, until=timezone.now() + timedelta(hours=1), reason="quarter close", user=admin_user)
    data = {"reason": "ship the fix", "override_freeze": "1", "override_reason": "payments are failing"}
    form = ActionForm(data, kind=A.RELEASE_CHANGE)
    assert form.is_valid()
    asked = four_eyes.ask(target, A.RELEASE_CHANGE, form, Asking(admin_user))
    assert asked.override_reason == "payments are failing"

    action = four_eyes.approve(asked, user=operator, reason="checked the diff")
    assert action.requested_by == admin_user
    overridden = AuditEvent.objects.get(action=events.FREEZE_OVERRIDDEN)
    assert overridden.reason == "payments are failing" and overridden.actor_name == "ada-admin"


def test_a_declined_reroute_request_is_in_the_releases_timeline_at_its_step(ready, operator, admin_user, client_for):
    four_eyes.choose(ready, [A.REROUTE], user=admin_user)
    deployment = ready.latest_release_deployment().deployment_id
    form = ActionForm({"reason": "green looks fine", "deployment_id": deployment}, kind=A.REROUTE)
    assert form.is_valid()
    asked = four_eyes.ask(ready, A.REROUTE, form, Asking(operator))
    four_eyes.decline(asked, user=admin_user, reason="wait for the smoke tests")

    page = client_for(admin_user).get(ready.get_absolute_url()).content.decode()
    reroute = page[page.index('data-step="reroute"') :]
    reroute = reroute[: reroute.index("</li>")]
    assert "otto-operator: Asked a second operator" in reroute and "“green looks fine”" in reroute
    assert "ada-admin: Declined as second operator" in reroute and "“wait for the smoke tests”" in reroute
    assert not A.objects.exists()
    assert "data-countdown" in page and not re.search(r"</time>\s+\)", page)  # "(in 4 min)", no stray space
