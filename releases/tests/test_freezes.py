"""Freezes, without a browser: what they refuse, who may override one and how each step is audited."""

import zoneinfo
from datetime import time, timedelta

import pytest
from django.utils import timezone

from dashboard import events
from dashboard.audit import AuditEvent
from releases import action_requests, freezes
from releases.models import Freeze, OperatorAction, ReleaseTarget

A = OperatorAction


@pytest.fixture
def target(db):
    return ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")


def freeze(target, admin_user, hours=2):
    return freezes.set_freeze(
        target, until=timezone.now() + timedelta(hours=hours), reason="Black Friday", user=admin_user
    )


def test_a_freeze_refuses_a_release_change_with_its_reason_and_end_even_with_an_operators_override(
    target, operator, admin_user
):
    window = freeze(target, admin_user)
    with pytest.raises(action_requests.Frozen) as refused:
        action_requests.request_action(target, A.RELEASE_CHANGE, user=operator, reason="ship", override="I insist")
    assert refused.value.code == "frozen"
    assert "“Black Friday”" in str(refused.value) and "by ada-admin" in str(refused.value)
    assert f"{timezone.localtime(window.ends_at):%Y-%m-%d %H:%M}" in str(refused.value)
    assert not A.objects.exists()
    assert AuditEvent.objects.get(action=events.FREEZE_SET).reason == "Black Friday"


def test_an_admin_overrides_one_request_with_a_reason_audited(target, admin_user):
    window = freeze(target, admin_user)
    action = action_requests.request_action(
        target, A.RELEASE_CHANGE, user=admin_user, reason="hotfix", override="security fix cannot wait"
    )
    assert action.status == A.REQUESTED
    overridden = AuditEvent.objects.get(action=events.FREEZE_OVERRIDDEN)
    assert overridden.reason == "security fix cannot wait" and overridden.params["kind"] == A.RELEASE_CHANGE
    assert overridden.target_id == str(window.pk) and overridden.scope == "shop"
    with pytest.raises(action_requests.Frozen):  # an admin without an override is refused like anyone
        action_requests.request_action(target, A.RELEASE_CHANGE, user=admin_user, reason="again")


def test_a_freeze_ended_early_or_past_its_time_refuses_nothing_and_other_actions_are_not_frozen(target, admin_user):
    window = freeze(target, admin_user)
    assert freezes.blocking(target, A.ROLLBACK) is None and freezes.blocking(target, A.STOP_EXECUTION) is None
    assert freezes.blocking(target, A.REROUTE) == window
    assert freezes.end_freeze(window, user=admin_user) is True
    assert freezes.end_freeze(window, user=admin_user) is False  # ended once, audited once
    assert AuditEvent.objects.filter(action=events.FREEZE_ENDED).count() == 1
    assert freezes.blocking(target, A.RELEASE_CHANGE) is None
    Freeze.objects.create(target=target, ends_at=timezone.now() - timedelta(minutes=1), reason="over")
    assert freezes.blocking(target, A.RELEASE_CHANGE) is None


def test_only_an_admin_sets_or_ends_a_freeze(target, client_for, operator, admin_user):
    until = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    url = f"/releases/{target.pk}/freeze/"
    assert client_for(operator).post(url, {"until": until, "reason": "calm"}).status_code == 403
    assert not Freeze.objects.exists()
    response = client_for(admin_user).post(url, {"until": until, "reason": "calm"})
    assert response.status_code == 302
    window = Freeze.objects.get()
    assert window.reason == "calm" and window.set_by == admin_user
    end = f"/releases/{target.pk}/freeze/{window.pk}/end/"
    assert client_for(operator).post(end).status_code == 403
    assert client_for(admin_user).post(end).status_code == 302
    assert Freeze.in_force(target) is None


def test_a_freeze_in_the_past_is_refused_with_a_message(target, client_for, admin_user):
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(admin_user).post(
        f"/releases/{target.pk}/freeze/", {"until": past, "reason": "x y z"}, follow=True
    )
    assert "The end of a freeze is in the future." in response.content.decode()
    assert not Freeze.objects.exists()


def test_a_weekly_freeze_refuses_only_on_its_days_and_hours_in_the_time_zone(target, admin_user, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    window = freezes.set_freeze(
        target,
        until=timezone.now() + timedelta(days=60),
        reason="weekend calm",
        user=admin_user,
        weekdays=[4],  # Fridays
        daily_from=time(16, 0),
        daily_until=time(23, 0),
    )
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    today = timezone.localtime(timezone.now(), berlin)
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    inside = friday.replace(hour=17, minute=30)
    assert Freeze.in_force(target, inside) == window
    assert Freeze.in_force(target, inside.replace(hour=15, minute=59)) is None
    assert Freeze.in_force(target, inside.replace(hour=23, minute=0)) is None
    assert Freeze.in_force(target, inside + timedelta(days=1)) is None
    assert window.schedule == "Fri 16:00–23:00"
    assert window.end_at(inside) == inside.replace(hour=23, minute=0, second=0)
    assert list(Freeze.scheduled(target)) == [window]
    assert AuditEvent.objects.get(action=events.FREEZE_SET).params["schedule"] == "Fri 16:00–23:00"


def test_a_weekly_freeze_is_set_on_the_page_and_needs_its_hours(target, client_for, admin_user):
    until = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    url = f"/releases/{target.pk}/freeze/"
    data = {"until": until, "reason": "release train", "weekdays": ["0", "2"]}
    response = client_for(admin_user).post(url, data, follow=True)
    assert "A weekly freeze needs its hours" in response.content.decode()
    response = client_for(admin_user).post(url, {**data, "daily_from": "09:00", "daily_until": "12:00"}, follow=True)
    window = Freeze.objects.get()
    assert window.schedule == "Mon, Wed 09:00–12:00"
    assert "Mon, Wed 09:00–12:00" in response.content.decode()  # listed for admins, or the banner while in force
