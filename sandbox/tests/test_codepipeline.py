"""CodePipeline executions: failures and retries, stopping, superseding, approvals, and the API."""

import copy

import pytest
from botocore.exceptions import ClientError

from sandbox.tests.helpers import (
    PIPELINE,
    advance_until,
    deploy_action_state,
    deployment,
    deployment_of_execution,
    execution,
    executions,
    release,
    wait_status,
)
from sandbox.tutorial import Tutorial


def error_code(caught):
    return caught.value.response["Error"]["Code"]


def first_execution(aws):
    return executions(aws)[-1]["pipelineExecutionId"]


def test_failed_action_can_be_retried_and_the_release_completes(aws):
    aws.sandbox.set_fault(kind="action_failure", pipeline=PIPELINE, stage="Deploy", action="Deploy", times=1)
    Tutorial(aws).build()
    execution_id = first_execution(aws)
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Failed", step=5, limit=60)
    assert deploy_action_state(aws)["status"] == "Failed"
    assert "sandbox fault" in deploy_action_state(aws)["errorDetails"]["message"]
    state = aws.codepipeline.get_pipeline_state(name=PIPELINE)
    assert [s["latestExecution"]["status"] for s in state["stageStates"]] == ["Succeeded", "Failed"]

    aws.codepipeline.retry_stage_execution(
        pipelineName=PIPELINE, stageName="Deploy", pipelineExecutionId=execution_id, retryMode="FAILED_ACTIONS"
    )
    assert execution(aws, execution_id)["status"] == "InProgress"
    release(aws, execution_id)
    details = aws.codepipeline.list_action_executions(
        pipelineName=PIPELINE, filter={"pipelineExecutionId": execution_id}
    )
    statuses = [(d["actionName"], d["status"]) for d in details["actionExecutionDetails"]]
    assert statuses == [("Deploy", "Succeeded"), ("Deploy", "Failed"), ("Image", "Succeeded"), ("Source", "Succeeded")]


def test_retry_is_refused_for_a_stage_that_did_not_fail(aws):
    Tutorial(aws).build()
    execution_id = first_execution(aws)
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.retry_stage_execution(
            pipelineName=PIPELINE, stageName="Source", pipelineExecutionId=execution_id, retryMode="FAILED_ACTIONS"
        )
    assert error_code(caught) == "StageNotRetryableException"


def test_stop_and_wait_lets_the_running_deployment_finish(aws):
    Tutorial(aws).build()
    execution_id = first_execution(aws)
    deployment_id = deployment_of_execution(aws, execution_id)
    aws.codepipeline.stop_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution_id, reason="freeze")
    assert execution(aws, execution_id)["status"] == "Stopping"
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.stop_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution_id)
    assert error_code(caught) == "DuplicatedStopRequestException"
    wait_status(aws, deployment_id, "Ready")
    aws.codedeploy.stop_deployment(deploymentId=deployment_id)
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Stopped", step=5, limit=10)
    summary = executions(aws)[0]
    assert summary["stopTrigger"] == {"reason": "freeze"}


def test_stop_and_abandon_abandons_the_action_at_once(aws):
    Tutorial(aws).build()
    execution_id = first_execution(aws)
    deployment_id = deployment_of_execution(aws, execution_id)
    aws.codepipeline.stop_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution_id, abandon=True)
    assert execution(aws, execution_id)["status"] == "Stopping"
    aws.sandbox.advance(1)
    assert execution(aws, execution_id)["status"] == "Stopped"
    assert deploy_action_state(aws)["status"] == "Abandoned"
    assert deployment(aws, deployment_id)["status"] != "Stopped"  # CodeDeploy carries on, as in AWS
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.stop_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=execution_id)
    assert error_code(caught) == "PipelineExecutionNotStoppableException"


def test_a_newer_waiting_execution_supersedes_an_older_one(aws):
    t = Tutorial(aws).build()
    first = first_execution(aws)
    deployment_of_execution(aws, first)
    t.push_image("nginx:2")
    second = executions(aws)[0]["pipelineExecutionId"]
    aws.sandbox.advance(10)  # the second has its sources and waits for the Deploy stage
    t.push_image("nginx:3")
    third = executions(aws)[0]["pipelineExecutionId"]
    aws.sandbox.advance(10)
    assert execution(aws, second)["status"] == "Superseded"
    assert execution(aws, third)["status"] == "InProgress"
    release(aws, first)
    release(aws, third)


def test_source_revision_override_deploys_an_earlier_image(aws):
    t = Tutorial(aws).build()
    release(aws, first_execution(aws))
    first_digest = t.ids["first_digest"]
    t.push_image("nginx:2")
    release(aws, executions(aws)[0]["pipelineExecutionId"])
    execution_id = aws.codepipeline.start_pipeline_execution(
        name=PIPELINE,
        sourceRevisions=[{"actionName": "Image", "revisionType": "IMAGE_DIGEST", "revisionValue": first_digest}],
    )["pipelineExecutionId"]
    assert executions(aws)[0]["trigger"]["triggerType"] == "StartPipelineExecution"
    release(aws, execution_id)
    revisions = {r["name"]: r["revisionId"] for r in execution(aws, execution_id)["artifactRevisions"]}
    assert revisions["MyImage"] == first_digest


def test_a_commit_to_the_watched_branch_starts_an_execution(aws):
    t = Tutorial(aws).build()
    head = aws.codecommit.get_branch(repositoryName="MyDemoRepo", branchName="main")["branch"]["commitId"]
    assert head == t.ids["commit_id"]
    commit = aws.codecommit.put_file(
        repositoryName="MyDemoRepo",
        branchName="main",
        parentCommitId=head,
        filePath="README.md",
        fileContent=b"hello",
        commitMessage="Add a readme",
    )["commitId"]
    latest = executions(aws)[0]
    assert latest["trigger"]["triggerType"] == "CloudWatchEvent"
    aws.sandbox.advance(5)
    revisions = {r["name"]: r for r in execution(aws, latest["pipelineExecutionId"])["artifactRevisions"]}
    assert revisions["SourceArtifact"]["revisionId"] == commit
    assert revisions["SourceArtifact"]["revisionSummary"] == "Add a readme"


def waiting_approval(aws) -> tuple[str, str]:
    """The tutorial with an approval stage before Deploy, and a new execution waiting at it: (its id, the token)."""
    t = Tutorial(aws, ready_wait_minutes=None, termination_wait_minutes=0).build()
    declaration = t.pipeline_definition()
    approval = {
        "name": "Approve",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        "configuration": {"CustomData": "Check the test listener"},
        "runOrder": 1,
    }
    declaration["stages"].insert(1, {"name": "Approval", "actions": [approval]})
    aws.codepipeline.update_pipeline(pipeline=declaration)
    execution_id = aws.codepipeline.start_pipeline_execution(name=PIPELINE)["pipelineExecutionId"]
    aws.sandbox.advance(10)

    def token():
        return approval_run(aws).get("token")

    return execution_id, advance_until(aws, token, step=5, limit=30)


def approval_run(aws) -> dict:
    state = aws.codepipeline.get_pipeline_state(name=PIPELINE)
    stage = next(s for s in state["stageStates"] if s["stageName"] == "Approval")
    return stage["actionStates"][0]["latestExecution"]


def test_manual_approval_waits_for_the_operator(aws):
    execution_id, approval_token = waiting_approval(aws)
    aws.codepipeline.put_approval_result(
        pipelineName=PIPELINE,
        stageName="Approval",
        actionName="Approve",
        result={"summary": "looks good", "status": "Approved"},
        token=approval_token,
    )
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Succeeded", step=5, limit=600)
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.put_approval_result(
            pipelineName=PIPELINE,
            stageName="Approval",
            actionName="Approve",
            result={"summary": "again", "status": "Approved"},
            token=approval_token,
        )
    assert error_code(caught) == "ApprovalAlreadyCompletedException"


def test_a_manual_approval_unanswered_for_seven_days_fails_the_execution(aws):
    execution_id, approval_token = waiting_approval(aws)
    aws.sandbox.advance(7 * 86400 - 60)
    assert approval_run(aws)["status"] == "InProgress"
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Failed", step=30, limit=300)
    run = approval_run(aws)
    assert run["status"] == "Failed" and "not answered within 7 days" in run["errorDetails"]["message"]
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.put_approval_result(
            pipelineName=PIPELINE,
            stageName="Approval",
            actionName="Approve",
            result={"summary": "too late", "status": "Approved"},
            token=approval_token,
        )
    assert error_code(caught) == "ApprovalAlreadyCompletedException"


def test_pipeline_versions_tags_and_deletion(aws):
    t = Tutorial(aws).build()
    arn = aws.codepipeline.get_pipeline(name=PIPELINE)["metadata"]["pipelineArn"]
    assert arn == f"arn:aws:codepipeline:us-east-1:123456789012:{PIPELINE}"
    declaration = copy.deepcopy(t.pipeline_definition())
    declaration["stages"][1]["actions"][0]["configuration"]["DeploymentGroupName"] = "codedeploydeplgroup"
    updated = aws.codepipeline.update_pipeline(pipeline=declaration)["pipeline"]
    assert updated["version"] == 2
    assert aws.codepipeline.get_pipeline(name=PIPELINE, version=1)["pipeline"]["version"] == 1
    aws.codepipeline.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "web"}])
    assert aws.codepipeline.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "web"}]
    aws.codepipeline.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert aws.codepipeline.list_tags_for_resource(resourceArn=arn)["tags"] == []
    assert [p["name"] for p in aws.codepipeline.list_pipelines()["pipelines"]] == [PIPELINE]
    aws.codepipeline.delete_pipeline(name=PIPELINE)
    assert aws.codepipeline.list_pipelines()["pipelines"] == []


def test_pipeline_declarations_are_checked(aws):
    t = Tutorial(aws)
    t.ids["codepipeline_role_arn"] = "arn:aws:iam::123456789012:role/x"
    declaration = t.pipeline_definition()
    one_stage = {**declaration, "stages": declaration["stages"][:1]}
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.create_pipeline(pipeline=one_stage)
    assert error_code(caught) == "InvalidStructureException"
    missing_key = copy.deepcopy(declaration)
    del missing_key["stages"][1]["actions"][0]["configuration"]["ApplicationName"]
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.create_pipeline(pipeline=missing_key)
    assert error_code(caught) == "InvalidActionDeclarationException"
    aws.codepipeline.create_pipeline(pipeline=declaration)
    with pytest.raises(ClientError) as caught:
        aws.codepipeline.create_pipeline(pipeline=declaration)
    assert error_code(caught) == "PipelineNameInUseException"


def test_a_source_that_does_not_exist_fails_the_execution(aws):
    t = Tutorial(aws)
    t.step1_image(push=False)
    t.ids["codepipeline_role_arn"] = "arn:aws:iam::123456789012:role/x"
    aws.codepipeline.create_pipeline(pipeline=t.pipeline_definition())
    execution_id = first_execution(aws)
    advance_until(aws, lambda: execution(aws, execution_id)["status"] == "Failed", step=5, limit=30)
    state = aws.codepipeline.get_pipeline_state(name=PIPELINE)
    source = {a["actionName"]: a["latestExecution"] for a in state["stageStates"][0]["actionStates"]}
    assert source["Source"]["status"] == "Failed"
    assert "MyDemoRepo does not exist" in source["Source"]["errorDetails"]["message"]
    assert "does not exist" in source["Image"]["errorDetails"]["message"]
