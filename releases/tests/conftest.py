"""Fixtures of the release console: the tutorial's setup made by hand with plain boto3 against the sandbox."""

import time

import pytest

from dashboard.tests.workers import wait_for  # noqa: F401 (the releases tests import it from here)
from sandbox.testing import SandboxClients
from sandbox.tutorial import APPSPEC, Tutorial

# The tutorial as the console's tests use it: a 30 minute ready wait, rollback when a deployment fails or is
# stopped, and only an image push (not a commit) starts the pipeline.
CONSOLE_TUTORIAL = {
    "ready_wait_minutes": 30,
    "termination_wait_minutes": 60,
    "auto_rollback_on_failure": True,
    "auto_rollback_on_stop": True,
    "start_on_commit": False,
}


def console_tutorial(aws, **changes):
    """The tutorial's steps 1-6 (sandbox.tutorial.Tutorial) with the console tests' options, or `changes` to them."""
    return Tutorial(aws, **{**CONSOLE_TUTORIAL, **changes}).build()


def deployment_history(aws, t, count):
    """`count` more deployments of the tutorial's group, each stopped as soon as it was created, ten minutes apart:
    a group in real use has a long history."""
    definition = aws.ecs.list_task_definitions(sort="DESC")["taskDefinitionArns"][0]
    content = APPSPEC.replace("<TASK_DEFINITION>", definition)
    for number in range(count):
        made = aws.codedeploy.create_deployment(
            applicationName=t.application,
            deploymentGroupName=t.group,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
            description=f"earlier deployment {number + 1}",
        )
        aws.codedeploy.stop_deployment(deploymentId=made["deploymentId"], autoRollbackEnabled=False)
        aws.sandbox.advance(600)


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The project's sandbox fixture, keeping the dashboard's AWS clients between tests (the endpoint does not
    change within a session, and making clients again costs time in every test)."""
    sandbox_server.reset()
    settings.AWS_ENDPOINT_URL = sandbox_server.endpoint_url
    settings.AWS_REGION = "us-east-1"
    settings.AWS_MAX_ATTEMPTS = 2
    return sandbox_server


@pytest.fixture
def boto(sandbox):
    return SandboxClients(sandbox)


@pytest.fixture
def ecs_service(boto):
    """A service ECS deploys blue/green itself (no CodeDeploy), made with plain boto3 as the ECS developer guide sets
    one up (sandbox/tests/ecs_native_setup.py), its first deployment finished (blue serves production)."""
    from sandbox.tests.ecs_native_setup import BlueGreenService

    service = BlueGreenService(boto).build()
    service.settle()
    return service


@pytest.fixture
def tutorial(boto):
    """The tutorial's setup, made by hand (not by the wizard), its first release finished:
    30 min ready wait, 60 min termination wait."""
    return console_tutorial(boto).settle()


def poll_until(sandbox, target, condition, *, step=5, timeout=20, what="the condition"):
    """Advance the sandbox clock by `step` seconds and refresh the target until `condition(target)` holds."""
    from releases.worker import polling

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        polling.refresh(target.pk)
        target.refresh_from_db()
        if condition(target):
            return target
        sandbox.advance(step)
    raise AssertionError(f"{what} did not happen; last deployment: {target.latest_deployment()}")


def deployment_status(status):
    def check(target):
        deployment = target.deployments.filter(rollback_of="").first()
        return deployment is not None and deployment.status == status

    check.__name__ = f"deployment {status}"
    return check


def in_termination_wait(target):
    deployment = target.deployments.filter(rollback_of="").first()
    return deployment is not None and deployment.is_termination_wait


@pytest.fixture
def history(request):
    """How many earlier deployments the tracked group has besides its first release (parametrize indirectly)."""
    return getattr(request, "param", 0)


@pytest.fixture
def tracked(db, tutorial, boto, history):
    """The hand-made tutorial setup, tracked and refreshed once."""
    from dashboard import aws
    from releases.worker import polling
    from releases.worker.track import track_pipeline

    if history:
        boto.sandbox.configure(list_deployments_page_size=7)  # AWS pages the list; small pages in tests
        deployment_history(boto, tutorial, history)
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    polling.refresh(target.pk)
    target.refresh_from_db()
    return target


@pytest.fixture
def ready(tracked, tutorial, sandbox):
    """A new image pushed and its deployment waiting for a reroute (Ready), as the database knows it."""
    tutorial.push_image()
    return poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")


APPROVAL_SUMMARY = "Check the release notes before it ships"
APPROVAL_LINK = "https://example.com/release-notes"


def add_approval_stage(aws, t):
    """What an operator does in the CodePipeline console: a Manual approval stage between Source and Deploy."""
    pipeline = aws.codepipeline.get_pipeline(name=t.pipeline)["pipeline"]
    approval = {
        "name": "Approval",
        "actions": [
            {
                "name": "Review",
                "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
                "configuration": {"CustomData": APPROVAL_SUMMARY, "ExternalEntityLink": APPROVAL_LINK},
                "runOrder": 1,
            }
        ],
    }
    pipeline["stages"].insert(1, approval)
    aws.codepipeline.update_pipeline(pipeline=pipeline)


def approval_waits(target):
    return bool(target.waiting_approvals())


@pytest.fixture
def awaiting_approval(tracked, tutorial, boto, sandbox):
    """The tracked pipeline, given an approval stage, with a new image's execution waiting at it."""
    add_approval_stage(boto, tutorial)
    tutorial.push_image()
    return poll_until(sandbox, tracked, approval_waits, what="the approval to wait")


def approval_state(aws, t):
    """The approval action's latest run, as get_pipeline_state shows it."""
    state = aws.codepipeline.get_pipeline_state(name=t.pipeline)
    stage = next(s for s in state["stageStates"] if s["stageName"] == "Approval")
    return stage["actionStates"][0].get("latestExecution") or {}


@pytest.fixture
def app():
    """A local HTTP service answering as the release's application (releases/tests/smoke_server.py)."""
    from releases.tests.smoke_server import App

    server = App()
    yield server
    server.stop()


def run_smoke_checks(target):
    """The smoke check run the target is due (started if it is not yet), its attempts made here one after the
    other, without a worker and without waiting for their intervals."""
    from releases.models import SmokeRun
    from releases.worker import smoke_runs

    run = smoke_runs.start_due(target) or target.smoke_runs.first()
    while not run.is_finished:
        SmokeRun.objects.filter(pk=run.pk).update(next_at=run.created_at)
        smoke_runs.attempt(run.pk)
        run.refresh_from_db()
    return run


def put_alarm(boto, name):
    """A CloudWatch alarm on the load balancer's 5xx count, in INSUFFICIENT_DATA as AWS starts one (moto: OK)."""
    boto.cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    boto.cloudwatch.set_alarm_state(AlarmName=name, StateValue="INSUFFICIENT_DATA", StateReason="Just created")


@pytest.fixture
def second_page(browser):
    """Another browser context, for a second person at the same time as the `page` fixture's."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()
