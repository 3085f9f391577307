"""A console's poll answered in one read (nothing changed, or the fragment every viewer shares), with the same
sign-in and role checks as every page, and the viewer's own CSRF token in its forms."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from releases.models import OperatorAction, ReleaseTarget
from releases.tests.test_four_eyes import ask
from releases.web import four_eyes, fragment_cache

HTMX = {"HX-Request": "true"}


@pytest.fixture
def one_read(settings, django_assert_num_queries):
    """The poll's one read, and the session's own where sessions are kept in the database only (no Redis)."""
    return lambda: django_assert_num_queries(1 if settings.SESSION_ENGINE.endswith("cached_db") else 2)


@pytest.fixture
def target(db):
    return ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1", version=7)


def poll(client, target, version, **query):
    return client.get(reverse("release-target-live", args=[target.pk]), {"v": version, **query}, headers=HTMX)


def csrf_tokens(markup):
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', markup))


def test_an_unchanged_poll_is_answered_in_one_query_and_never_stored(client, viewer, target, one_read):
    client.force_login(viewer)
    with one_read():
        answer = poll(client, target, 7)
    assert answer.status_code == 204 and answer.content == b""
    assert "no-store" in answer["Cache-Control"] and "private" in answer["Cache-Control"]
    with one_read():
        assert poll(client, target, 7, release="").status_code == 204


def test_a_moved_version_is_drawn_by_the_whole_stack(client, viewer, target):
    client.force_login(viewer)
    ReleaseTarget.objects.filter(pk=target.pk).update(version=8)
    answer = poll(client, target, 7)
    assert answer.status_code == 200 and 'data-version="8"' in answer.content.decode()


def test_signed_out_or_signed_out_elsewhere_is_sent_to_sign_in(client, viewer, target):
    assert poll(client, target, 7).status_code == 302  # never signed in
    client.force_login(viewer)
    viewer.set_password("a-new-password-1")  # a password change ends the other sessions
    viewer.save()
    answer = poll(client, target, 7)
    assert answer.status_code == 302 and reverse("login") in answer["Location"]


def test_a_user_deactivated_or_without_a_role_gets_no_answer(client, target):
    no_role = make_user("nora-norole", None)
    client.force_login(no_role)
    assert poll(client, target, 7).status_code == 403
    no_role.groups.add(Group.objects.get_or_create(name="viewer")[0])
    assert poll(client, target, 7).status_code == 204
    no_role.is_active = False
    no_role.save()
    assert poll(client, target, 7).status_code == 302


def test_a_missing_target_or_an_odd_query_goes_the_usual_way(client, viewer, target):
    client.force_login(viewer)
    missing = reverse("release-target-live", args=[target.pk + 1000])
    assert client.get(missing, {"v": "None"}, headers=HTMX).status_code == 404
    assert poll(client, target, 7, extra="1").status_code == 204  # the view ignores other fields, as before


def test_a_changed_poll_is_drawn_once_and_shared_each_viewer_getting_their_own_token(
    target, admin_user, one_read, django_assert_max_num_queries
):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(admin_user)
    second.force_login(make_user("adam-admin", "admin"))
    second.get(target.get_absolute_url())  # the page sets the viewer's CSRF cookie
    drawn = poll(first, target, 6).content.decode()  # the whole stack draws it for everyone
    with one_read():
        shared = poll(second, target, 6)
    assert shared.status_code == 200 and shared["ETag"] and "no-store" in shared["Cache-Control"]
    shared = shared.content.decode()
    (token,) = csrf_tokens(shared)
    assert csrf_tokens(drawn) != {token} and 'data-version="7"' in shared and 'id="freeze"' in shared
    unmarked = re.sub(r'value="[^"]+"|data-rendered-ms="\d+"', "", shared)
    assert unmarked == re.sub(r'value="[^"]+"|data-rendered-ms="\d+"', "", drawn)

    freeze = {"until": (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "reason": "audit"}
    set_freeze = second.post(reverse("release-freeze", args=[target.pk]), {**freeze, "csrfmiddlewaretoken": token})
    assert set_freeze.status_code == 302  # the token put in the shared copy is the viewer's own
    with django_assert_max_num_queries(20):
        after = poll(second, target, 7).content.decode()  # the freeze moved the version: drawn again
    assert "Frozen until" in after and 'data-version="8"' in after


def test_a_four_eyes_request_running_out_is_shown_without_a_version_bump(target, operator, admin_user, client):
    four_eyes.choose(target, [OperatorAction.RELEASE_CHANGE], user=admin_user)
    asked = ask(target, operator)
    asked.expires_at = timezone.now() + timedelta(seconds=4)
    asked.save(update_fields=["expires_at"])
    target.refresh_from_db()
    client.force_login(admin_user)
    assert 'data-status="pending"' in poll(client, target, 1).content.decode()
    deadline = time.monotonic() + 20
    while 'data-status="expired"' not in poll(client, target, 1).content.decode():
        assert time.monotonic() < deadline, "the shared copy kept showing the request pending after it ran out"
        time.sleep(0.1)
    assert ReleaseTarget.objects.get(pk=target.pk).version == target.version


def test_while_one_request_draws_a_new_version_the_others_get_the_one_before(client, viewer, target, one_read):
    client.force_login(viewer)
    assert 'data-version="7"' in poll(client, target, 6).content.decode()
    ReleaseTarget.objects.filter(pk=target.pk).update(version=8)
    new = fragment_cache.console_key(target.pk, target.created_at, 8, "viewer", None)
    cache.add(f"{new}:live:rendering", 1, 30)  # somebody's request is drawing version 8
    with one_read():
        assert 'data-version="7"' in poll(client, target, 6).content.decode()
    assert poll(client, target, 7).status_code == 204  # they have the newest drawn: asked again at the next poll
    cache.delete(f"{new}:live:rendering")
    assert 'data-version="8"' in poll(client, target, 7).content.decode()
