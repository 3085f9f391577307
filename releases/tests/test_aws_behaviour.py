"""The console against AWS as it really behaves (the sandbox's default): no push without an EventBridge rule, long
deployment histories read across pages and in batches of 25, deployments that have no target yet."""

from django.urls import reverse

from dashboard import aws
from releases.models import ReleaseTarget, TrackRequest
from releases.tests.conftest import console_tutorial, deployment_history, deployment_status, poll_until, wait_for
from releases.worker import polling
from releases.worker.track import track_pipeline


def executions(boto, pipeline):
    return boto.codepipeline.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"]


def test_a_pipeline_without_its_push_rule_does_not_start_and_the_console_says_how_to_fix_it(
    client, viewer, admin_user, sandbox, boto, worker
):
    t = console_tutorial(boto, event_rules=False).settle()
    before = len(executions(boto, t.pipeline))
    t.push_image()
    sandbox.advance(10)
    assert len(executions(boto, t.pipeline)) == before

    target = track_pipeline(t.pipeline, connection=aws.Connection.from_settings())
    client.force_login(viewer)
    page = client.get(target.get_absolute_url()).content.decode()
    assert "Pre-flight checks failed" in page
    assert "An image push starts the pipeline" in page
    assert "No enabled EventBridge rule starts the pipeline when an image is pushed" in page
    assert "Fix: Create an EventBridge rule with the pattern source aws.ecr" in page

    t.create_event_rules()  # as the console makes them beside a pipeline with an ECR source
    client.force_login(admin_user)
    client.post(reverse("release-track"), {"pipeline_name": t.pipeline})  # the page's "Check again"
    wait_for(lambda: TrackRequest.objects.filter(status="succeeded").exists(), what="the check again")
    page = client.get(target.get_absolute_url()).content.decode()
    assert "Pre-flight checks failed" not in page
    assert not ReleaseTarget.objects.get().failed_checks

    t.push_image()
    sandbox.advance(1)
    started = executions(boto, t.pipeline)
    assert len(started) == before + 1
    assert started[0]["trigger"]["triggerType"] == "CloudWatchEvent"


def test_the_rule_the_console_makes_passes_the_check(db, sandbox, tutorial):
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    check = next(c for c in target.checks if c["name"] == "image_push")
    assert check["ok"] is True and "starts the pipeline on a push" in check["message"]


def test_polling_reads_a_deployment_history_longer_than_a_batch(db, sandbox, boto, tutorial):
    sandbox.configure(list_deployments_page_size=7)
    deployment_history(boto, tutorial, 60)
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    polling.refresh(target.pk)
    target.refresh_from_db()
    assert target.poll_error == ""
    assert target.deployments.count() == 61
    latest = target.latest_deployment()
    assert (latest.status, latest.description) == ("Stopped", "earlier deployment 60")
    calls = sandbox.calls()["codedeploy"]
    assert calls["ListDeployments"] >= 9  # 61 ids in pages of 7
    assert calls["BatchGetDeployments"] >= 3  # in chunks of 25; the sandbox refuses 26, as AWS does

    before = sandbox.calls()["codedeploy"]
    polling.refresh(target.pk)  # idle: only what was created since the newest known deployment
    after = sandbox.calls()["codedeploy"]
    assert after["ListDeployments"] - before["ListDeployments"] == 1
    assert after.get("BatchGetDeployments", 0) == before.get("BatchGetDeployments", 0)


def test_a_deployment_held_in_queued_does_not_break_the_refresh(client, viewer, sandbox, tracked, tutorial):
    sandbox.set_fault(kind="deployment_hold", status="Queued", seconds=120, times=1)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Queued"), step=2, what="Queued")
    before = sandbox.calls()["codedeploy"].get("BatchGetDeploymentTargets", 0)
    polling.refresh(target.pk)  # asks for its target, which AWS answers DeploymentNotStartedException
    target.refresh_from_db()
    assert sandbox.calls()["codedeploy"]["BatchGetDeploymentTargets"] > before
    assert target.poll_error == "" and target.active
    assert target.latest_execution().status == "InProgress"
    client.force_login(viewer)
    page = client.get(target.get_absolute_url()).content.decode()
    assert 'id="deployment-status">Queued</span>' in page

    target = poll_until(sandbox, target, deployment_status("Ready"), step=30, what="Ready once let go")
    assert target.latest_deployment().lifecycle_events
