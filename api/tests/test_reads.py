"""The read endpoints: the targets' state, one target's live state with its version (304 or an empty change
while it has not moved), the history with the page's filters, the export, and JSON errors."""

import json

import pytest

from api.tests.conftest import bearer
from dashboard.audit import AuditEvent, record
from releases.models import ReleaseTarget


@pytest.fixture
def target(db):
    return ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")


@pytest.fixture
def api(client, read_token):

    def get(url, **headers):
        return client.get(url, headers={**bearer(read_token), **headers})

    return get


def test_the_targets_list_carries_a_version_that_answers_304_until_a_target_moves(api, target):
    first = api("/api/targets")
    assert first.status_code == 200
    (listed,) = first.json()["targets"]
    assert listed["name"] == "shop" and listed["console_url"] == target.get_absolute_url()
    assert first["ETag"] == f'"{first.json()["version"]}"'
    assert api("/api/targets", If_None_Match=first["ETag"]).status_code == 304
    target.bump()
    moved = api("/api/targets", If_None_Match=first["ETag"])
    assert moved.status_code == 200 and moved["ETag"] != first["ETag"]


def test_a_targets_state_is_unchanged_at_its_version_and_comes_whole_once_it_moves(api, target):
    state = api(f"/api/targets/{target.pk}").json()
    assert state["version"] == target.version and state["changed"] is True
    assert {"lifecycle", "task_sets", "stages", "open_actions", "traffic", "needs_action"} <= set(state)
    assert api(f"/api/targets/{target.pk}?version={target.version}").json() == {
        "version": target.version,
        "changed": False,
    }
    assert api(f"/api/targets/{target.pk}", If_None_Match=f'"{target.version}"').status_code == 304
    target.bump()
    target.refresh_from_db()
    moved = api(f"/api/targets/{target.pk}?version={target.version - 1}")
    assert moved.json()["changed"] is True and moved.json()["version"] == target.version


def test_bad_input_is_400_naming_each_field_and_a_missing_target_404(api, target):
    response = api(f"/api/targets/{target.pk}?version=-1")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["version"]
    response = api("/api/history?since=yesterday&outcome=maybe")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"since", "outcome"}
    assert api("/api/targets/999999").json() == {"detail": "Not found."}
    assert api("/api/targets/999999").status_code == 404


def test_the_history_takes_the_pages_filters_and_pages_by_id(api, operator):
    for number in range(3):
        record("release.reroute", outcome=AuditEvent.REQUESTED, user=operator, scope="shop", reason=f"r{number}")
    record("release.reroute", outcome=AuditEvent.REQUESTED, user=operator, scope="cart", reason="other")
    page = api("/api/history?scope=shop&kind=group:operator&limit=2").json()
    assert [e["reason"] for e in page["events"]] == ["r2", "r1"]
    assert page["events"][0]["label"] == "Reroute traffic" and page["events"][0]["actor_name"] == "otto-operator"
    rest = api(f"/api/history?scope=shop&limit=2&before={page['next_before']}").json()
    assert [e["reason"] for e in rest["events"]] == ["r0"] and rest["next_before"] is None
    newer = api(f"/api/history?kind=release.reroute&after={page['events'][0]['id']}").json()
    assert [e["reason"] for e in newer["events"]] == ["other"]


def test_the_export_is_the_pages_download_with_the_same_filter(api, operator):
    record("release.reroute", outcome=AuditEvent.REQUESTED, user=operator, scope="shop", reason="=cmd()")
    record("release.rollback", outcome=AuditEvent.REQUESTED, user=operator, scope="cart", reason="other")
    lines = b"".join(api("/api/history/export?scope=shop").streaming_content).decode().splitlines()
    assert [json.loads(line)["reason"] for line in lines] == ["=cmd()"]
    csv = api("/api/history/export?format=csv&scope=shop")
    assert csv["Content-Type"].startswith("text/csv")
    assert "'=cmd()" in b"".join(csv.streaming_content).decode()  # neutralised, as the page's download
    assert api("/api/history/export?format=xml").status_code == 400
