"""ECS blue/green beyond the ECS API: CodePipeline's ECS deploy action drives it, its state changes reach an SQS queue
through EventBridge, and a service deployment goes on across a sandbox restart."""

import json

from sandbox.testing import SandboxClients, run_sandbox
from sandbox.tests.ecs_native_setup import (
    BUCKET,
    CLUSTER,
    PIPELINE,
    SERVICE,
    BlueGreenService,
    create_buckets,
    create_pipeline,
    put_image_definitions,
)
from sandbox.tests.test_persistence import forget_moto
from sandbox.tests.test_state_events import drain, queue_with_rule
from sandbox.tutorial import source_zip


def deploy_action(aws) -> dict:
    state = aws.codepipeline.get_pipeline_state(name=PIPELINE)
    stage = next(s for s in state["stageStates"] if s["stageName"] == "Deploy")
    return stage["actionStates"][0].get("latestExecution", {})


def action_ended(aws, limit=1800) -> dict:
    for _ in range(limit // 10):
        latest = deploy_action(aws)
        if latest.get("status") in ("Succeeded", "Failed"):
            return latest
        aws.sandbox.advance(10)
    raise AssertionError(f"the deploy action did not end: {deploy_action(aws)}")


def test_the_pipeline_s_ecs_action_releases_the_image_through_a_blue_green_deployment(aws):
    bg = BlueGreenService(aws).build(lifecycleHooks=[{"lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}])
    bg.settle()
    create_buckets(aws)
    put_image_definitions(aws, "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2")
    create_pipeline(aws)  # creating a pipeline starts it
    latest = action_ended(aws)
    assert latest["status"] == "Succeeded"
    service = bg.service()
    arn = service["currentServiceDeployment"]
    deployment = bg.deployment(arn)
    assert deployment["status"] == "SUCCESSFUL"
    assert latest["externalExecutionId"] == service["deployments"][0]["id"]
    revision = bg.revision(deployment["targetServiceRevision"]["arn"])
    assert revision["containerImages"][0]["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2"
    taskdef = aws.ecs.describe_task_definition(taskDefinition=revision["taskDefinition"])["taskDefinition"]
    assert (taskdef["family"], taskdef["revision"], taskdef["cpu"]) == ("web", 2, "256")  # the service's, re-registered
    assert bg.rule("production") == {"blue": 0, "green": 100}

    # A release whose hook fails rolls back, and the action fails with the service deployment's reason.
    aws.sandbox.set_fault(kind="ecs_hook", outcome="fail", times=1)
    put_image_definitions(aws, "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:3")
    execution = aws.codepipeline.start_pipeline_execution(name=PIPELINE)["pipelineExecutionId"]
    for _ in range(60):
        if (
            deploy_action(aws).get("status") == "InProgress"
            and deploy_action(aws).get("externalExecutionId") != (latest["externalExecutionId"])
        ):
            break
        aws.sandbox.advance(2)
    failed = action_ended(aws)
    assert failed["status"] == "Failed"
    assert "ROLLBACK_SUCCESSFUL" in failed["errorDetails"]["message"]
    assert "failed at POST_TEST_TRAFFIC_SHIFT" in failed["errorDetails"]["message"]
    status = aws.codepipeline.get_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution)
    assert status["pipelineExecution"]["status"] == "Failed"
    assert bg.rule("production") == {"blue": 0, "green": 100}  # production stayed where the last release left it


def test_the_ecs_action_fails_for_a_container_the_task_definition_lacks(aws):
    bg = BlueGreenService(aws).build()
    bg.settle()
    create_buckets(aws)
    files = {"imagedefinitions.json": json.dumps([{"name": "api", "imageUri": "nginx:9"}])}
    aws.s3.put_object(Bucket=BUCKET, Key="source.zip", Body=source_zip(files))
    create_pipeline(aws, FileName="imagedefinitions.json")
    failed = action_ended(aws)
    assert failed["status"] == "Failed"
    assert failed["errorDetails"]["message"] == "The container api of the image definitions file is not in web."
    assert len(aws.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)["serviceDeployments"]) == 1


def test_service_deployment_state_changes_reach_a_queue_as_ecs_sends_them(aws):
    bg = BlueGreenService(aws, desired=4).build(deploymentCircuitBreaker={"enable": True, "rollback": True})
    bg.settle()
    url = queue_with_rule(aws)
    aws.events.put_rule(Name="to-queue", EventPattern=json.dumps({"source": ["aws.ecs"]}), State="ENABLED")
    arn = bg.release("nginx:2")
    bg.wait(arn, lambda d: d["status"] == "SUCCESSFUL", step=10)
    green_id = bg.service()["deployments"][0]["id"]
    events = drain(aws, url)
    assert [(e["detail-type"], e["detail"]["eventName"]) for e in events] == [
        ("ECS Deployment State Change", "SERVICE_DEPLOYMENT_IN_PROGRESS"),
        ("ECS Deployment State Change", "SERVICE_DEPLOYMENT_COMPLETED"),
    ]
    first = events[0]
    assert first["source"] == "aws.ecs"
    assert first["resources"] == [f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{SERVICE}"]
    assert first["detail"]["eventType"] == "INFO" and first["detail"]["deploymentId"] == green_id
    assert first["detail"]["reason"] == f"ECS deployment {green_id} in progress."

    aws.sandbox.set_fault(kind="ecs_task_failure", times=1)
    failing = bg.release("nginx:3")
    bg.wait(failing, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL", step=10)
    details = [e["detail"] for e in drain(aws, url)]
    assert [(d["eventName"], d["eventType"]) for d in details] == [
        ("SERVICE_DEPLOYMENT_IN_PROGRESS", "INFO"),
        ("SERVICE_DEPLOYMENT_FAILED", "ERROR"),
        ("SERVICE_DEPLOYMENT_IN_PROGRESS", "INFO"),
        ("SERVICE_DEPLOYMENT_COMPLETED", "INFO"),
    ]
    assert details[1]["reason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert details[2]["reason"] == f"ECS deployment circuit breaker: rolling back to deploymentId {green_id}."
    assert details[3]["deploymentId"] == green_id


def test_a_service_deployment_goes_on_after_a_restart(tmp_path):
    forget_moto()
    state_dir = tmp_path / "sandbox"
    try:
        with run_sandbox(state_dir=state_dir) as sb:
            aws = SandboxClients(sb)
            bg = BlueGreenService(aws).build(bakeTimeInMinutes=10)
            bg.settle()
            arn = bg.release()
            bg.wait(arn, lambda d: d.get("lifecycleStage") == "BAKE_TIME", step=2)
        forget_moto()
        with run_sandbox(state_dir=state_dir) as sb:
            aws = SandboxClients(sb)
            bg = BlueGreenService(aws)
            bg.ids = {"production_rule": _rule(aws, 80), "test_rule": _rule(aws, 8080)}
            bg.ids.update(blue=_group(aws, "blue"), green=_group(aws, "green"))
            assert bg.deployment(arn)["lifecycleStage"] == "BAKE_TIME"
            assert bg.service()["currentServiceDeployment"] == arn
            final = bg.wait(arn, lambda d: d["status"] == "SUCCESSFUL", step=30, limit=900)
            assert final["targetServiceRevision"]["runningTaskCount"] == 2
            assert bg.rule("production") == {"blue": 0, "green": 100}
            listed = aws.ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)["serviceDeployments"]
            assert [d["status"] for d in listed] == ["SUCCESSFUL", "SUCCESSFUL"]
    finally:
        forget_moto()


def _group(aws, name: str) -> str:
    return aws.elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]


def _rule(aws, port: int) -> str:
    lb = aws.elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    listener = next(x for x in aws.elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"] if x["Port"] == port)[
        "ListenerArn"
    ]
    return next(r for r in aws.elbv2.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"])["RuleArn"]
