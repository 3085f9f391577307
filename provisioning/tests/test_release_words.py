"""Verify's choice of release and its plain words, from AWS answers shaped as botocore returns them (pure logic)."""

from datetime import UTC, datetime, timedelta

from provisioning import release_words as words
from provisioning.worker.steps.verify import first_release

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def summary(execution_id, status):
    return {"pipelineExecutionId": execution_id, "status": status}


def test_the_oldest_running_release_is_followed_and_one_seen_failing_never_again():
    newest_first = [summary("c", "InProgress"), summary("b", "InProgress"), summary("a", "Succeeded")]
    assert first_release(newest_first, [])["pipelineExecutionId"] == "b"
    assert first_release([summary("b", "Failed"), summary("a", "Succeeded")], [])["pipelineExecutionId"] == "b"
    assert first_release([summary("b", "Failed"), summary("a", "Succeeded")], ["b"]) is None
    assert first_release([summary("c", "Succeeded"), summary("b", "Failed")], ["b"])["pipelineExecutionId"] == "c"


def deploy_action(status="InProgress"):
    return {
        "stageName": "Deploy",
        "actionName": "Deploy",
        "status": status,
        "startTime": T0,
        "input": {"actionTypeId": {"provider": "CodeDeployToECS"}},
        "output": {"executionResult": {"externalExecutionId": "d-1"}},
    }


def gated(status, error=None):
    option = {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30}
    return {
        "deploymentId": "d-1",
        "status": status,
        "errorInformation": error,
        "blueGreenDeploymentConfiguration": {"deploymentReadyOption": option},
    }


def target(**statuses):
    return {"lifecycleEvents": [{"lifecycleEventName": n, "status": s, "endTime": T0} for n, s in statuses.items()]}


def test_a_deployment_stopped_at_ready_by_someone_is_not_said_to_have_timed_out():
    at_ready = target(AfterAllowTestTraffic="Succeeded", BeforeAllowTraffic="Skipped")
    stopped = gated("Stopped", {"code": "MANUAL_STOP", "message": "The deployment was stopped by the user."})
    assert words.failure(summary("e", "Failed"), [deploy_action("Failed")], stopped, at_ready).code == (
        "DeploymentStopped"
    )
    timed_out = gated("Stopped", {"code": "TIMEOUT", "message": "The deployment timed out."})
    failed = words.failure(summary("e", "Failed"), [deploy_action("Failed")], timed_out, at_ready)
    assert failed.code == "NobodyRerouted"
    assert "ready wait (30 minutes) ran out" in failed.message
    assert failed.message.endswith("CodeDeploy's error: TIMEOUT: The deployment timed out.")


def test_ready_says_until_when_from_awss_own_times():
    now = words.now([deploy_action()], gated("Ready"), target(AfterAllowTestTraffic="Succeeded"))
    assert now.phase == words.REROUTE
    assert f"If nobody does by {words.hhmm(T0 + timedelta(minutes=30))}," in now.message


def test_a_failed_source_action_is_named_with_codepipelines_error():
    source = {
        "stageName": "Source",
        "actionName": "Image",
        "status": "Failed",
        "input": {"actionTypeId": {"provider": "ECR"}},
        "output": {"executionResult": {"errorDetails": {"code": "ImageNotFound", "message": "No image latest"}}},
    }
    failed = words.failure(summary("e1234567", "Failed"), [source], None, None)
    assert (failed.code, failed.message) == (
        "ReleaseFailed",
        "Pipeline execution e1234567 failed in stage Source, action Image. "
        "CodePipeline's error: ImageNotFound: No image latest.",
    )


def ecs_action(status="InProgress"):
    return {**deploy_action(status), "input": {"actionTypeId": {"provider": "ECS"}}}


def service_deployment(status, stage=None, reason=None):
    found = {"serviceDeploymentArn": "arn:aws:ecs:us-east-1:1:service-deployment/c/s/abc", "status": status}
    return found | ({"lifecycleStage": stage} if stage else {}) | ({"statusReason": reason} if reason else {})


def test_an_ecs_service_deployment_is_told_by_its_stage():
    assert words.ecs_now([ecs_action()], None).message == (
        "Release in progress: Deploy, starting the service deployment."
    )
    baking = words.ecs_now([ecs_action()], service_deployment("IN_PROGRESS", "BAKE_TIME"))
    assert baking.phase == words.FOLLOW
    assert baking.message.startswith("Release in progress: Deploy, baking: production traffic is on the new revision")
    shifting = words.ecs_now([ecs_action()], service_deployment("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT"))
    assert shifting.message == "Release in progress: Deploy, shifting production traffic to the new revision."
    rolling = words.ecs_now([ecs_action()], service_deployment("ROLLBACK_IN_PROGRESS", reason="Hook failed"))
    assert rolling.message == "Release in progress: Deploy, service deployment abc is rolling back (Hook failed.)."
    assert words.ecs_now([], None).message == "Release in progress: the pipeline execution is starting."
