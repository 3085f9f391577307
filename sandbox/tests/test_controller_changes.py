"""What UpdateService accepts when a service's deployment controller changes, and a CODE_DEPLOY service scaled in
(ECS developer guide, "Update Amazon ECS service parameters"; botocore's TaskSet.computedDesiredCount)."""

import pytest
from botocore.exceptions import ClientError

from sandbox.tests.ecs_native_setup import CLUSTER, SERVICE, BlueGreenService
from sandbox.tutorial import Tutorial


def refusal(caught):
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_a_codedeploy_service_scaled_to_zero_keeps_its_task_set_with_no_tasks_and_scales_back(aws):
    t = Tutorial(aws).build().settle()
    aws.ecs.update_service(cluster=t.cluster, service=t.service, desiredCount=0)
    task_set = aws.ecs.describe_services(cluster=t.cluster, services=[t.service])["services"][0]["taskSets"][0]
    assert (task_set["status"], task_set["computedDesiredCount"], task_set["runningCount"]) == ("PRIMARY", 0, 0)
    aws.ecs.update_service(cluster=t.cluster, service=t.service, desiredCount=3)
    task_set = aws.ecs.describe_services(cluster=t.cluster, services=[t.service])["services"][0]["taskSets"][0]
    assert (task_set["computedDesiredCount"], task_set["runningCount"]) == (3, 3)


def test_a_blue_green_service_cannot_go_back_to_codedeploy_or_on_to_external(aws):
    BlueGreenService(aws).build().settle()
    for controller, why in (
        ("CODE_DEPLOY", "cannot be updated from ECS to CODE_DEPLOY"),
        ("EXTERNAL", "includes alarms, a deployment circuit breaker or a blue/green deployment strategy"),
    ):
        with pytest.raises(ClientError) as caught:
            aws.ecs.update_service(cluster=CLUSTER, service=SERVICE, deploymentController={"type": controller})
        code, message = refusal(caught)
        assert code == "InvalidParameterException" and why in message
    service = aws.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert service["deploymentController"] == {"type": "ECS"}


def test_a_codedeploy_service_may_move_to_ecs_but_not_while_a_deployment_runs(aws):
    t = Tutorial(aws).build().settle()
    t.push_image("second")
    while len(aws.ecs.describe_services(cluster=t.cluster, services=[t.service])["services"][0]["taskSets"]) < 2:
        aws.sandbox.advance(5)
    with pytest.raises(ClientError) as caught:
        aws.ecs.update_service(cluster=t.cluster, service=t.service, deploymentController={"type": "ECS"})
    assert refusal(caught) == (
        "InvalidParameterException",
        "The deployment controller of a service cannot be updated during an ongoing service deployment.",
    )
