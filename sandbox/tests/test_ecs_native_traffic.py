"""The listener rules an ECS blue/green deployment moves are what the load balancer's local ports answer by: the test
port reaches green first, the production port follows, a LINEAR step mixes both, and a rollback brings blue back."""

from collections import Counter

from sandbox.tests.ecs_native_setup import BlueGreenService
from sandbox.tests.helpers import http_get, local_urls


def answer(url: str) -> tuple[str, str, str]:
    status, _, body = http_get(url + "/")
    assert status == 200, body
    return body["image"], body["target_group"], body["color"]


def test_the_ports_follow_the_rules_through_a_release_and_a_rollback(aws):
    bg = BlueGreenService(aws).build()
    bg.settle()
    urls = local_urls(aws)
    assert answer(urls[80]) == answer(urls[8080]) == ("nginx:1", "blue", "blue")

    arn = bg.release("nginx:2")
    bg.wait(arn, lambda d: d.get("lifecycleStage") == "POST_TEST_TRAFFIC_SHIFT")
    assert answer(urls[8080]) == ("nginx:2", "green", "green")  # test traffic on green first
    assert answer(urls[80]) == ("nginx:1", "blue", "blue")
    bg.wait(arn, lambda d: d.get("lifecycleStage") == "BAKE_TIME")
    assert answer(urls[80]) == ("nginx:2", "green", "green")
    bg.wait(arn, lambda d: d["status"] == "SUCCESSFUL", step=10)

    failing = bg.release("nginx:3")  # goes to the blue group, production's idle one now
    bg.wait(failing, lambda d: d.get("lifecycleStage") == "BAKE_TIME")
    assert answer(urls[80]) == ("nginx:3", "blue", "blue")
    aws.ecs.stop_service_deployment(serviceDeploymentArn=failing, stopType="ROLLBACK")
    bg.wait(failing, lambda d: d["status"] == "ROLLBACK_SUCCESSFUL")
    assert answer(urls[80]) == answer(urls[8080]) == ("nginx:2", "green", "green")


def test_a_linear_step_sends_its_share_of_production_requests_to_green(aws):
    bg = BlueGreenService(aws).build(
        strategy="LINEAR", linearConfiguration={"stepPercent": 50.0, "stepBakeTimeInMinutes": 10}
    )
    bg.settle()
    arn = bg.release("nginx:2")
    bg.wait(arn, lambda d: d.get("lifecycleStage") == "PRODUCTION_TRAFFIC_SHIFT")
    url = local_urls(aws)[80]
    seen = Counter(answer(url)[0] for _ in range(60))
    assert set(seen) == {"nginx:1", "nginx:2"}  # half and half: each all 60 times has odds of 2**-60
