"""Sign-in cannot be guessed: a user name and address pair is locked out after a few failures, for a while, and the
failures leave a bounded, password-free trace."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.urls import reverse

from conftest import PASSWORD
from dashboard import events
from dashboard.audit import AuditEvent

ATTACKER, OFFICE = "203.0.113.9", "198.51.100.7"


@pytest.fixture(autouse=True)
def lockout_settings(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(client, username, password, address=ATTACKER):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_pair_out_with_a_message_until_the_cool_off_ends(client, viewer):
    answers = [sign_in(client, viewer.username, f"guess-{n}") for n in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert "do not match" in answers[0].content.decode()

    locked = sign_in(client, viewer.username, PASSWORD)  # even the right password is refused now
    assert locked.status_code == 429
    assert "Too many failed sign-ins; try again in 15 minutes." in locked.content.decode()
    assert "_auth_user_id" not in client.session

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=14))
    assert "try again in 1 minute." in sign_in(client, viewer.username, PASSWORD).content.decode()

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=1, seconds=1))
    assert sign_in(client, viewer.username, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(viewer.pk)


def test_a_lockout_holds_only_for_that_address(client, viewer):
    for n in range(5):
        sign_in(client, viewer.username, f"guess-{n}")
    assert sign_in(client, viewer.username, PASSWORD, address=ATTACKER).status_code == 429
    assert sign_in(client, viewer.username, PASSWORD, address=OFFICE).status_code == 302


def test_forty_failures_write_a_bounded_number_of_audit_rows_and_attempt_rows(client, viewer):
    for n in range(40):
        sign_in(client, viewer.username, f"guess-{n}")
    for n in range(40):
        sign_in(client, f"no-such-user-{n}", "whatever")
    rows = AuditEvent.objects.filter(action__startswith="auth.").order_by("id")
    assert [(e.action, e.actor_name, e.params) for e in rows] == [
        (events.SIGN_IN_FAILED, viewer.username, {}),
        (events.SIGN_IN_LOCKED_OUT, viewer.username, {"failures": 5}),
        (events.SIGN_IN_FAILED, "unknown user", {}),
        (events.SIGN_IN_LOCKED_OUT, "unknown user", {"failures": 5}),
    ]
    assert all(e.ip_address == ATTACKER for e in rows)
    assert sorted(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        ("unknown user", 5),
        (viewer.username, 5),
    ]


def test_a_password_typed_as_the_user_name_reaches_neither_the_history_nor_the_attempts(client, viewer):
    sign_in(client, PASSWORD, "whatever")
    client.force_login(viewer)
    history = client.get(reverse("history"))
    assert history.status_code == 200
    assert PASSWORD not in history.content.decode()
    failed = AuditEvent.objects.get(action=events.SIGN_IN_FAILED)
    assert (failed.actor_name, failed.target_id) == ("unknown user", "")
    attempt = AccessAttempt.objects.get()
    assert PASSWORD not in f"{attempt.username} {attempt.post_data} {attempt.get_data}"
