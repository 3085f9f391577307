"""Smoke checks through the API: a target's state carries its release's runs attempt by attempt, why Reroute waits,
and the deployment group's alarms; a reroute the block policy refuses answers 409 with code smoke_checks."""

from api.tests.conftest import bearer
from api.tests.test_actions import post
from releases import smoke
from releases.models import OperatorAction, SmokeSettings
from releases.tests.conftest import run_smoke_checks
from releases.tests.smoke_server import check


def test_the_state_has_the_runs_and_a_blocked_reroute_is_refused_with_its_code(
    client, operate_token, ready, app, sandbox
):
    SmokeSettings.objects.create(
        target=ready,
        test_url=app.url,
        checks=[check(path="/", json_field="color", json_value="blue")],
        block_reroute=True,
    )
    answer = post(client, operate_token, ready, "reroute", reason="ship it")
    assert answer.status_code == 409 and answer.json()["code"] == "smoke_checks"
    assert answer.json()["detail"].startswith("Waiting for smoke checks: on this target Reroute waits")

    run_smoke_checks(ready)  # the replacement answers green, the check wants blue
    state = client.get(f"/api/targets/{ready.pk}", headers=bearer(operate_token)).json()
    (shown,) = state["smoke_runs"]
    assert (shown["phase"], shown["status"], shown["planned_attempts"]) == (smoke.TEST, "failed", 1)
    (attempt,) = shown["attempts"]
    assert (attempt["url"], attempt["status"], attempt["ok"]) == (f"{app.url}/", 200, False)
    assert attempt["reason"] == "color is “green”, expected “blue”"
    assert state["reroute_blocked_by"] == "Smoke checks failed"
    assert state["alarms"] is None  # the tutorial's group has none

    answer = post(client, operate_token, ready, "reroute", reason="ship it")
    assert answer.status_code == 409 and answer.json()["detail"].startswith("Smoke checks failed")
    assert not OperatorAction.objects.exists()
