"""A release's timeline: joined from audit events by execution id, deployment id, target id and `follows`."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from dashboard import events
from dashboard.audit import AuditEvent
from dashboard.history.timeline import release_timeline
from dashboard.tests.history_fixtures import BASE, event

OBSERVED, REQUESTED, SUCCEEDED = AuditEvent.OBSERVED, AuditEvent.REQUESTED, AuditEvent.SUCCEEDED


def minutes(n):
    return BASE + timedelta(minutes=n)


@pytest.fixture
def rerouted_release(operator):
    """Execution e-1 of shop, as a poller and an operator would record it (deployment events name only d-1)."""
    made = {}
    pushed = (BASE - timedelta(minutes=20)).isoformat()
    started = {"execution_id": "e-1", "image_digest": "sha256:feed", "image_tag": "v42", "image_pushed_at": pushed}
    made["started"] = event(events.EXECUTION_STARTED, minutes(0), params=started)
    made["created"] = event(
        events.DEPLOYMENT_CREATED, minutes(1), target_id="d-1", params={"execution_id": "e-1", "deployment_id": "d-1"}
    )
    made["hook"] = event(
        events.LIFECYCLE_EVENT, minutes(4), params={"deployment_id": "d-1", "event": "AfterAllowTestTraffic"}
    )
    made["ready"] = event(events.DEPLOYMENT_READY, minutes(8), target_type="deployment", target_id="d-1")
    made["request"] = event(
        events.REROUTE,
        minutes(12),
        outcome=REQUESTED,
        user=operator,
        reason="canary error rate flat",
        params={"deployment_id": "d-1"},
    )
    made["done"] = event(events.REROUTE, minutes(12.1), outcome=SUCCEEDED, user=operator, follows=made["request"])
    made["rerouted"] = event(events.TRAFFIC_REROUTED, minutes(13), params={"deployment_id": "d-1"})
    made["terminated"] = event(events.ORIGINAL_TERMINATED, minutes(40), params={"deployment_id": "d-1"})
    made["finished"] = event(
        events.DEPLOYMENT_FINISHED, minutes(41), params={"deployment_id": "d-1", "status": "Succeeded"}
    )
    # Noise: another execution of shop, the same ids in another scope, and an unrelated sign-in.
    event(events.EXECUTION_STARTED, minutes(2), params={"execution_id": "e-2"})
    event(events.TRAFFIC_REROUTED, minutes(13), scope="api", params={"execution_id": "e-1", "deployment_id": "d-1"})
    event(events.SIGN_IN, minutes(5), outcome=SUCCEEDED, scope="", user=operator)
    return made


def test_the_timeline_joins_every_event_of_the_release_and_nothing_else(rerouted_release):
    timeline = release_timeline("shop", "e-1")
    order = ["started", "created", "hook", "ready", "request", "done", "rerouted", "terminated", "finished"]
    assert [e.pk for e in timeline.events] == [rerouted_release[name].pk for name in order]


def test_the_milestones_go_from_image_push_to_original_terminated(rerouted_release):
    timeline = release_timeline("shop", "e-1")
    reached = {m.key: m.at for m in timeline.milestones}
    assert list(reached) == ["image", "started", "deployment", "lifecycle", "ready", "rerouted", "terminated"]
    assert reached["image"] == BASE - timedelta(minutes=20)
    assert reached["deployment"] == minutes(1)
    assert reached["rerouted"] == minutes(13)
    assert reached["terminated"] == minutes(40)
    assert timeline.release.status == "succeeded"
    assert timeline.release.lead_time == timedelta(minutes=33)


def test_the_people_who_acted_are_listed_with_their_reasons(rerouted_release, operator):
    timeline = release_timeline("shop", "e-1")
    ((name, acts),) = timeline.people
    assert name == operator.username
    assert [(e.outcome, e.reason) for e in acts] == [(REQUESTED, "canary error rate flat"), (SUCCEEDED, "")]


def test_a_rolled_back_release_ends_with_the_rollback_and_takes_in_its_deployment(db):
    event(events.EXECUTION_STARTED, minutes(0), params={"execution_id": "e-7"})
    event(events.DEPLOYMENT_CREATED, minutes(1), params={"execution_id": "e-7", "deployment_id": "d-7"})
    event(
        events.LIFECYCLE_EVENT,
        minutes(3),
        params={"deployment_id": "d-7", "event": "AfterAllowTestTraffic", "status": "Failed"},
    )
    event(events.DEPLOYMENT_FINISHED, minutes(4), params={"deployment_id": "d-7", "status": "Failed"})
    event(events.ROLLED_BACK, minutes(5), params={"deployment_id": "d-7", "rollback_deployment_id": "d-8"})
    rollback_done = event(
        events.DEPLOYMENT_FINISHED, minutes(9), params={"deployment_id": "d-8", "status": "Succeeded"}
    )
    timeline = release_timeline("shop", "e-7")
    assert timeline.events[-1].pk == rollback_done.pk
    assert timeline.release.status == "rolled_back"
    assert timeline.release.traffic_at is None  # the rollback's success is not traffic on the new version
    assert [m.key for m in timeline.milestones][-1] == "rolled_back"
    assert timeline.milestones[-1].at == minutes(5)
    assert not any(m.reached for m in timeline.milestones if m.key in ("ready", "rerouted"))


def test_a_rollback_deployment_marked_rollback_of_joins_its_release_without_counting_as_traffic(db):
    """The release console records a rollback's own deployment with `rollback_of`, maybe before `rolled_back`."""
    event(events.EXECUTION_STARTED, minutes(0), params={"execution_id": "e-5", "deployment_id": "d-5"})
    event(
        events.DEPLOYMENT_CREATED, minutes(1), target_id="d-5", params={"execution_id": "e-5", "deployment_id": "d-5"}
    )
    rollback = event(events.DEPLOYMENT_CREATED, minutes(6), params={"deployment_id": "d-6", "rollback_of": "d-5"})
    done = event(events.DEPLOYMENT_FINISHED, minutes(9), params={"deployment_id": "d-6", "status": "Succeeded"})
    timeline = release_timeline("shop", "e-5")
    assert [e.pk for e in timeline.events][-2:] == [rollback.pk, done.pk]
    assert (timeline.release.status, timeline.release.traffic_at) == ("rolled_back", None)
    assert timeline.release.rollback_deployment_ids == ["d-6"]
    assert timeline.release.deployment_ids == ["d-5"]


def test_the_timeline_page_shows_milestones_people_and_every_event(client, viewer, rerouted_release):
    client.force_login(viewer)
    response = client.get(reverse("release-timeline", args=["shop", "e-1"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "sha256:feed" in html and "v42" in html and "d-1" in html
    assert "canary error rate flat" in html and "otto-operator" in html
    assert len(re.findall(r'class="milestone reached', html)) == 7
    assert [int(n) for n in re.findall(r'data-event-id="(\d+)"', html)] == [
        e.pk for e in release_timeline("shop", "e-1").events
    ]
    assert "33 min" in html  # image push to traffic


def test_history_rows_naming_only_a_deployment_link_to_its_release(client, viewer, rerouted_release):
    client.force_login(viewer)
    html = client.get(reverse("history") + "?scope=shop").content.decode()
    timeline = reverse("release-timeline", args=["shop", "e-1"])
    for name in ("request", "done", "rerouted", "finished"):  # these name the deployment d-1, not the execution
        row = re.search(rf'<tr id="event-{rerouted_release[name].pk}".*?</tr>', html, re.S).group(0)
        assert f'href="{timeline}"' in row, name


def test_an_unknown_release_is_not_found(client, viewer, db):
    client.force_login(viewer)
    assert client.get(reverse("release-timeline", args=["shop", "nope"])).status_code == 404


def test_a_scope_with_a_slash_still_has_a_timeline(client, viewer, db):
    event(events.EXECUTION_STARTED, minutes(0), scope="team/shop", params={"execution_id": "e-9"})
    client.force_login(viewer)
    url = reverse("release-timeline", args=["team/shop", "e-9"])
    assert url == "/history/releases/team/shop/e-9/"
    assert client.get(url).status_code == 200
