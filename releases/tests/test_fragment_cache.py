"""The console rendered once per change (releases/web/fragment_cache.py): every viewer of a role gets the same
markup until the target's version moves, and nothing of one viewer reaches another."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_user
from releases.tests.conftest import in_termination_wait, poll_until
from releases.worker import polling

HTMX = {"HX-Request": "true"}


def signed_in(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def console_part(response):
    """The shared markup of a fragment: what follows the per-request status lines up to the fragment's end."""
    body = response.content.decode()
    return body[body.index('<section class="card" id="actions">') :]


def test_two_viewers_share_one_render_until_a_change_moves_the_version(viewer, operator, ready, tutorial, sandbox):
    url, shown = reverse("release-target-live", args=[ready.pk]), ready.version
    first, second = signed_in(viewer), signed_in(make_user("vic-viewer", "viewer"))
    drawn = first.get(url, headers=HTMX)
    assert drawn.status_code == 200 and "Waiting for reroute" in drawn.content.decode()

    with CaptureQueriesContext(connection) as queries:
        shared = second.get(url, headers=HTMX)
    assert console_part(shared) == console_part(drawn)
    read = " ".join(query["sql"] for query in queries)
    assert "releases_deployment" not in read and "releases_execution" not in read  # not rendered again
    assert "You can watch; the operator role is needed to act." in shared.content.decode()

    as_operator = signed_in(operator).get(url, headers=HTMX).content.decode()  # the role changes the markup
    assert 'data-action="reroute"' in as_operator and "the operator role is needed" not in as_operator

    tutorial.aws.codedeploy.continue_deployment(
        deploymentId=ready.latest_deployment().deployment_id, deploymentWaitType="READY_WAIT"
    )
    moved = poll_until(sandbox, ready, in_termination_wait, what="termination wait").version
    assert moved != shown
    for client in (second, first):
        again = client.get(url, {"v": shown}, headers=HTMX).content.decode()
        assert f"v={moved}" in again and "the original task set is terminated at" in again


def test_the_polled_fragment_answers_304_to_the_etag_of_the_version_it_holds(viewer, operator, ready):
    url = reverse("release-target-live", args=[ready.pk])
    client = signed_in(viewer)
    etag = client.get(url, headers=HTMX)["ETag"]
    assert client.get(url, headers={**HTMX, "If-None-Match": etag}).status_code == 304
    assert signed_in(operator).get(url, headers={**HTMX, "If-None-Match": etag}).status_code == 200

    ready.bump()
    assert client.get(url, headers={**HTMX, "If-None-Match": etag}).status_code == 200


@pytest.fixture
def gone(tracked, tutorial, boto):
    boto.codedeploy.delete_deployment_group(applicationName=tutorial.application, deploymentGroupName=tutorial.group)
    polling.refresh(tracked.pk)
    tracked.refresh_from_db()
    assert tracked.gone_since
    return tracked


def test_each_admin_gets_a_working_untrack_button_of_their_own(admin_user, gone):
    """The untrack form carries the CSRF token of the admin it is drawn for, never one drawn for another."""
    first = signed_in(admin_user, enforce_csrf_checks=True)
    second = signed_in(make_user("abe-admin", "admin"), enforce_csrf_checks=True)
    url = reverse("release-target-live", args=[gone.pk])
    assert 'data-way-back="untrack"' in first.get(url, headers=HTMX).content.decode()
    fragment = second.get(url, headers=HTMX).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', fragment).group(1)
    untracked = second.post(reverse("release-untrack", args=[gone.pk]), {"csrfmiddlewaretoken": token})
    assert untracked.status_code == 302
