"""Bad input gets a 400 or the form's error, never a 500; signed-in responses are never cached."""

import pytest
from django.urls import reverse

from dashboard.audit import AuditEvent, record
from releases.models import ReleaseTarget


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


def test_a_far_date_shows_the_filter_with_its_error(signed_in):
    response = signed_in.get(reverse("history") + "?until=9999-12-31")
    assert response.status_code == 200
    assert "between the years 2000 and 9998" in response.content.decode()
    assert 'value="9999-12-31T23:59"' in response.content.decode()  # what was typed, as the input shows it


@pytest.mark.parametrize("name", ["history-live", "history-export-csv", "history-export-jsonl"])
def test_a_far_date_is_refused_by_the_live_poll_and_the_exports(signed_in, name):
    response = signed_in.get(reverse(name) + "?until=9999-12-31&after=1")
    assert response.status_code == 400
    assert "until: Give a date between the years 2000 and 9998." in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/insights/?scope=a%00b",
        "/insights/?scope=a%1Bb",
        "/history/?scope=a%00b&after=1",
        "/history/live/?user=a%01b&after=1",
    ],
)
def test_control_characters_in_a_filter_are_refused(signed_in, url):
    response = signed_in.get(url)
    assert response.status_code in (200, 400)
    assert "Null characters are not allowed" in response.content.decode() or "control characters" in (
        response.content.decode()
    )


def test_an_unknown_period_still_reads_as_the_default(signed_in):
    assert signed_in.get(reverse("insights") + "?days=12345").status_code == 200


TIMELINE_PATHS = ["/history/releases/sh%00op/e-1/", "/history/releases/shop/e%00-1/", "/history/releases/a/e%1B/"]


@pytest.mark.parametrize("path", TIMELINE_PATHS)
def test_a_control_character_in_a_timeline_path_is_not_found(signed_in, path):
    record("pipeline.execution_started", outcome=AuditEvent.OBSERVED, scope="shop", params={"execution_id": "e-1"})
    assert signed_in.get(path).status_code == 404


@pytest.mark.parametrize("fragment", ["", "live/"])
def test_the_console_refuses_a_release_with_a_nul(signed_in, fragment):
    target = ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")
    response = signed_in.get(f"/releases/{target.pk}/{fragment}?release=a%00b")
    assert response.status_code == 400
    assert "release: Null characters are not allowed." in response.content.decode()


def test_a_reason_with_a_nul_is_the_form_again_with_its_error(client, operator):
    target = ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")
    client.force_login(operator)
    url = reverse("release-action", args=[target.pk, "release_change"])
    response = client.post(url, {"reason": "because\x00now"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


# Caching


def test_pages_fragments_and_exports_of_a_signed_in_user_are_not_stored(signed_in):
    for url, headers in [
        (reverse("history"), {}),
        (reverse("release-summary"), {"HX-Request": "true"}),
        (reverse("history-export-csv"), {}),
    ]:
        response = signed_in.get(url, headers=headers)
        assert response.status_code == 200, url
        assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"no-store", "private"}, url


def test_the_sign_in_page_of_an_anonymous_visitor_keeps_djangos_own_header(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"  # never_cache


def test_a_sign_in_from_a_browser_whose_user_agent_has_a_nul_is_audited_without_it(client, viewer):
    from conftest import PASSWORD

    answer = client.post(
        reverse("login"), {"username": viewer.username, "password": PASSWORD}, HTTP_USER_AGENT="curl/8\x00\x1b[31m"
    )
    assert answer.status_code == 302
    event = AuditEvent.objects.filter(action="auth.sign_in").latest("pk")
    assert event.user_agent == "curl/8[31m"
