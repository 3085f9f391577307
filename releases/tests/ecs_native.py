"""Fixtures of the console's ECS blue/green targets: a service ECS deploys blue/green itself (no CodeDeploy), made
with plain boto3 as the ECS developer guide sets one up (sandbox/tests/ecs_native_setup.py)."""

from releases.tests.conftest import poll_until
from sandbox.tests.ecs_native_setup import CLUSTER, SERVICE

PAUSE = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}


def track_service(ecs_service):
    from dashboard import aws
    from releases.worker import polling
    from releases.worker.track import track_service as track

    target = track(CLUSTER, SERVICE, connection=aws.Connection.from_settings())
    polling.refresh(target.pk)
    target.refresh_from_db()
    return target


def release_with_pause(service, image="nginx:2"):
    """update_service with a new task definition and a PAUSE hook after the test traffic shift."""
    configuration = {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2, "lifecycleHooks": [PAUSE]}
    return service.release(image, deploymentConfiguration=configuration)


def stage_is(stage, status="IN_PROGRESS"):
    def check(target):
        current = target.latest_service_deployment()
        return current is not None and current.status == status and current.lifecycle_stage == stage

    check.__name__ = f"{status} at {stage}"
    return check


def status_is(status):
    def check(target):
        current = target.latest_service_deployment()
        return current is not None and current.status == status

    check.__name__ = status
    return check


def refresh_until(sandbox, target, condition, **kwargs):
    return poll_until(sandbox, target, condition, **kwargs)


def pause_waits(target):
    current = target.latest_service_deployment()
    return current is not None and current.status == "IN_PROGRESS" and bool(current.awaiting_hooks)


def track_pipeline(boto, image):
    """The pipeline whose Amazon ECS deploy action releases the service (sandbox/tests/ecs_native_setup.py), made
    with plain boto3 (making it starts its first execution, with `image`), then tracked and refreshed once."""
    from dashboard import aws
    from releases.worker import polling
    from releases.worker.track import track_pipeline as track
    from sandbox.tests.ecs_native_setup import PIPELINE, create_buckets, create_pipeline, put_image_definitions

    create_buckets(boto)
    put_image_definitions(boto, image)
    create_pipeline(boto)
    target = track(PIPELINE, connection=aws.Connection.from_settings())
    polling.refresh(target.pk)
    target.refresh_from_db()
    return target


def execution_ended(target):
    latest = target.latest_execution()
    return latest is not None and not latest.is_active and latest.status != ""
