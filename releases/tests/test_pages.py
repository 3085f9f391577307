"""The console and overview pages and their fragments: they read the database only and say what matters."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from releases.clocks import on_dashboard_clock as _on_dashboard_clock
from releases.tests.conftest import in_termination_wait, poll_until
from releases.worker import polling


def on_dashboard_clock(aws_time, target):
    return _on_dashboard_clock(aws_time, target.aws_clock_offset)


def test_the_console_shows_pipeline_deployment_countdown_and_timeline(client, viewer, ready, sandbox):
    client.force_login(viewer)
    before = sandbox.calls()
    page = client.get(ready.get_absolute_url()).content.decode()
    for _ in range(20):  # twenty viewers' polls: still no AWS call (pages and fragments read the database)
        client.get(reverse("release-target-live", args=[ready.pk]), headers={"HX-Request": "true"})
    assert sandbox.calls() == before

    deployment = ready.latest_deployment()
    # AWS's deadlines are shown on the dashboard's clock (the sandbox's manual clock is ahead of it)
    stops_at = timezone.localtime(on_dashboard_clock(deployment.ready_wait_ends_at, ready)).strftime("%H:%M")
    assert f"traffic stays on the original and the deployment stops at <strong>{stops_at}</strong>" in page
    assert deployment.deployment_id in page and "AfterAllowTestTraffic" in page
    assert 'value="0"' in page  # traffic split: nothing on the replacement yet
    assert "ecs-demo:3" in page and "ecs-demo:2" in page  # task definition of each task set
    assert ready.production_url in page and ":8080/" in page
    assert 'data-step="reroute"' in page and "waiting for an operator" in page
    gives_up = timezone.localtime(on_dashboard_clock(deployment.created_at + timedelta(days=5), ready))
    gives_up = gives_up.strftime("%a %H:%M")
    assert f"The pipeline's deploy action times out at {gives_up}, five days after it started" in page


def test_the_status_fragment_answers_204_while_nothing_changed(client, viewer, ready, tutorial, sandbox):
    client.force_login(viewer)
    url = reverse("release-target-live", args=[ready.pk])
    shown = ready.version
    unchanged = client.get(url, {"v": shown}, headers={"HX-Request": "true"})
    assert unchanged.status_code == 204 and unchanged.content == b""

    tutorial.aws.codedeploy.continue_deployment(
        deploymentId=ready.latest_deployment().deployment_id, deploymentWaitType="READY_WAIT"
    )
    target = poll_until(sandbox, ready, in_termination_wait, what="termination wait")
    changed = client.get(url, {"v": shown}, headers={"HX-Request": "true"})
    assert changed.status_code == 200
    assert f"v={target.version}" in changed.content.decode()
    assert "the original task set is terminated at" in changed.content.decode()


def test_the_overview_lists_targets_with_their_state_at_a_glance(client, viewer, ready):
    client.force_login(viewer)
    page = client.get(reverse("overview")).content.decode()
    assert ready.name in page and "Waiting for reroute" in page
    summary = reverse("release-summary")
    etag = client.get(reverse("releases")).context["etag"]
    assert client.get(summary, {"v": etag}, headers={"HX-Request": "true"}).status_code == 204
    polling.refresh(ready.pk)  # nothing new: the same etag
    assert client.get(summary, {"v": etag}, headers={"HX-Request": "true"}).status_code == 204
