"""CodeDeploy as AWS answers it, not as it would be convenient: batch limits, the termination wait,
list_deployments pages and order, deployments held in Queued/Created (aws-behaviour.md)."""

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import SandboxControlError
from sandbox.tests.helpers import TARGET, advance_until, deployment, event, in_termination_wait, target, task_sets
from sandbox.tutorial import Tutorial

GROUP = {"applicationName": "codedeployapp", "deploymentGroupName": "codedeploydeplgroup"}


def error(caught) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def stopped_deployments(aws, t: Tutorial, count: int, gap: float = 10) -> list[str]:
    """`count` deployments, each stopped before the next is created, `gap` sandbox seconds apart."""
    ids = []
    for _ in range(count):
        ids.append(t.create_deployment())
        aws.codedeploy.stop_deployment(deploymentId=ids[-1])
        aws.sandbox.advance(gap)
    return ids


def test_batch_get_deployments_takes_at_most_25_ids(aws):
    t = Tutorial(aws).build(pipeline=False)
    deployment_id = t.create_deployment()
    assert len(aws.codedeploy.batch_get_deployments(deploymentIds=[deployment_id] * 25)["deploymentsInfo"]) == 25
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.batch_get_deployments(deploymentIds=[deployment_id] * 26)
    assert error(caught) == (
        "BatchLimitExceededException",
        "The maximum number of names or IDs allowed for this request (25) was exceeded.",
    )


def test_termination_wait_shows_only_in_the_target_never_in_the_flag(aws):
    t = Tutorial(aws, ready_wait_minutes=None, termination_wait_minutes=5).build(pipeline=False)
    deployment_id = t.create_deployment()
    aws.sandbox.advance(2)  # InProgress: the target exists
    advance_until(aws, lambda: event(aws, deployment_id, "AfterAllowTraffic")["status"] == "Succeeded", step=1)
    info, ecs_target = deployment(aws, deployment_id), target(aws, deployment_id)
    assert info["status"] == "InProgress"
    assert info["instanceTerminationWaitTimeStarted"] is False
    assert ecs_target["status"] == "Succeeded"
    assert {e["status"] for e in ecs_target["lifecycleEvents"]} == {"Succeeded"}
    assert len(task_sets(aws)) == 2  # the original task set waits to be terminated
    aws.sandbox.advance(120)
    assert in_termination_wait(aws, deployment_id)
    assert deployment(aws, deployment_id)["instanceTerminationWaitTimeStarted"] is False

    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
    advance_until(aws, lambda: deployment(aws, deployment_id)["status"] == "Succeeded", step=1, limit=30)
    assert len(task_sets(aws)) == 1
    assert deployment(aws, deployment_id)["instanceTerminationWaitTimeStarted"] is False


def test_list_deployments_pages_oldest_first(aws):
    t = Tutorial(aws).build(pipeline=False)
    assert aws.sandbox.configure(list_deployments_page_size=2)["list_deployments_page_size"] == 2
    ids = stopped_deployments(aws, t, 5)

    first = aws.codedeploy.list_deployments(**GROUP)
    assert first["deployments"] == ids[:2] and first["nextToken"]
    paginator = aws.codedeploy.get_paginator("list_deployments")
    assert [page["deployments"] for page in paginator.paginate(**GROUP)] == [ids[0:2], ids[2:4], ids[4:5]]
    assert [i for page in paginator.paginate() for i in page["deployments"]] == ids

    with pytest.raises(ClientError) as caught:
        aws.codedeploy.list_deployments(nextToken="not-a-token", **GROUP)
    assert error(caught)[0] == "InvalidNextTokenException"
    aws.sandbox.reset()
    assert aws.sandbox.settings()["list_deployments_page_size"] == 100


def test_list_deployments_filters_by_status_and_create_time(aws):
    t = Tutorial(aws).build(pipeline=False)
    ids = stopped_deployments(aws, t, 4)
    active = t.create_deployment()
    created = {i: deployment(aws, i)["createTime"] for i in [*ids, active]}

    only = aws.codedeploy.list_deployments(includeOnlyStatuses=["Created"], **GROUP)["deployments"]
    assert only == [active]
    both = aws.codedeploy.list_deployments(includeOnlyStatuses=["Stopped", "Created"], **GROUP)["deployments"]
    assert both == [*ids, active]
    middle = {"start": created[ids[1]], "end": created[ids[2]]}  # both ends included
    assert aws.codedeploy.list_deployments(createTimeRange=middle, **GROUP)["deployments"] == ids[1:3]
    since = aws.codedeploy.list_deployments(createTimeRange={"start": created[ids[3]]}, **GROUP)["deployments"]
    assert since == [ids[3], active]
    until = aws.codedeploy.list_deployments(createTimeRange={"end": created[ids[0]]}, **GROUP)["deployments"]
    assert until == [ids[0]]
    with pytest.raises(ClientError) as caught:
        aws.codedeploy.list_deployments(createTimeRange={"start": created[active], "end": created[ids[0]]}, **GROUP)
    assert error(caught)[0] == "InvalidTimeRangeException"


@pytest.mark.parametrize("status", ["Queued", "Created"])
def test_a_held_deployment_answers_deployment_not_started_for_its_targets(aws, status):
    t = Tutorial(aws).build(pipeline=False)
    aws.sandbox.set_fault(kind="deployment_hold", status=status, seconds=300, times=1)
    deployment_id = t.create_deployment()
    aws.sandbox.advance(1 if status == "Queued" else 0)
    for _ in range(5):
        assert deployment(aws, deployment_id)["status"] == status
        for call, kwargs in (
            (aws.codedeploy.list_deployment_targets, {}),
            (aws.codedeploy.get_deployment_target, {"targetId": TARGET}),
            (aws.codedeploy.batch_get_deployment_targets, {"targetIds": [TARGET]}),
        ):
            with pytest.raises(ClientError) as caught:
                call(deploymentId=deployment_id, **kwargs)
            assert error(caught)[0] == "DeploymentNotStartedException"
        aws.sandbox.advance(59)
    advance_until(aws, lambda: deployment(aws, deployment_id)["status"] == "InProgress", step=1, limit=10)
    assert aws.codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == [TARGET]
    # the hold was for one deployment only
    aws.codedeploy.stop_deployment(deploymentId=deployment_id)
    second = t.create_deployment()
    aws.sandbox.advance(2)
    assert deployment(aws, second)["status"] == "InProgress"


def test_deployment_hold_fault_is_checked(aws):
    with pytest.raises(SandboxControlError, match="deployment_hold"):
        aws.sandbox.set_fault(kind="deployment_hold", status="InProgress", seconds=10)
    with pytest.raises(SandboxControlError, match="deployment_hold"):
        aws.sandbox.set_fault(kind="deployment_hold", seconds=0)


def test_settings_are_checked(aws):
    with pytest.raises(SandboxControlError, match="unknown settings"):
        aws.sandbox.configure(page_size=2)
    with pytest.raises(SandboxControlError, match="list_deployments_page_size"):
        aws.sandbox.configure(list_deployments_page_size=0)
    with pytest.raises(SandboxControlError, match="step_time_factor must be a number from 0.01 to 10"):
        aws.sandbox.configure(step_time_factor=0)
    assert aws.sandbox.settings() == {
        "list_deployments_page_size": 100,
        "role_propagation_seconds": 0.0,
        "clock_offset_seconds": 0.0,
        "step_time_factor": 1.0,
    }
