"""A restarted `make demo` keeps the setup working: the sandbox comes back from its state dir (as
`SANDBOX_STATE_DIR=var/sandbox python -m sandbox` does in the demo) on the same port, and the dashboard, which kept
running, finds everything as it was and releases again."""

import time

import pytest
from playwright.sync_api import expect

from dashboard import aws as dashboard_aws
from provisioning.tests.checks import follow_release_to_the_end, provision_in_thread
from releases.models import ReleaseTarget
from releases.worker import polling
from sandbox.testing import SandboxClients, run_sandbox
from sandbox.tutorial import image_manifest

pytestmark = pytest.mark.browser
PIPELINE = "shop-pipeline"


def forget_moto():
    """What the end of the sandbox's process does to moto's state (it lives in the process)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


@pytest.fixture
def restartable(tmp_path, settings, sandbox_server):
    """Start a sandbox with a state dir; `restart()` stops it and starts a new one from the same dir and port."""
    state_dir = tmp_path / "sandbox"
    forget_moto()
    running = {}

    def start(port=0):
        context = run_sandbox(port=port, state_dir=state_dir)
        running["context"], running["sandbox"] = context, context.__enter__()
        settings.AWS_ENDPOINT_URL = running["sandbox"].endpoint_url
        settings.AWS_REGION = "us-east-1"
        dashboard_aws.reset_clients()
        return running["sandbox"]

    def restart():
        port = running["sandbox"].sandbox.port
        running["context"].__exit__(None, None, None)
        forget_moto()
        return start(port)

    start.restart = restart
    yield start
    running["context"].__exit__(None, None, None)
    forget_moto()
    dashboard_aws.reset_clients()


def test_a_restarted_sandbox_keeps_the_setup_and_the_console_releases_again(
    restartable, settings, worker, sign_in, admin_user, live_server
):
    settings.PROVISIONING_POLL_SECONDS = 0.2
    settings.RELEASES_PAGE_POLL_SECONDS = settings.RELEASES_PAGE_IDLE_POLL_SECONDS = 0.5
    sandbox = restartable()
    provision_in_thread(sandbox, "shop", "--verify-mode", "start", "--sample-image")
    target = ReleaseTarget.objects.get(pipeline_name=PIPELINE)
    polling.refresh(target.pk)
    first = ReleaseTarget.objects.get(pk=target.pk).latest_deployment()
    assert first.status == "Succeeded"

    sandbox = restartable.restart()  # Ctrl-C, `make demo` again: the dashboard's side kept running here
    boto = SandboxClients(sandbox)
    polling.refresh(target.pk)
    target.refresh_from_db()
    assert (target.gone_since, target.poll_error) == (None, "")

    page = sign_in(admin_user)
    page.goto(live_server.url + target.get_absolute_url())
    expect(page.locator("#deployment")).to_contain_text(first.deployment_id)
    expect(page.locator("#gone-from-aws")).to_have_count(0)
    expect(page.locator("#actions a[data-action]").first).to_be_visible()

    # A release after the restart: an image pushed starts the pipeline through the restored EventBridge rule.
    boto.ecr.put_image(
        repositoryName="shop-images", imageTag="latest", imageManifest=image_manifest(f"after restart {time.time()}")
    )
    assert follow_release_to_the_end(boto, sandbox, PIPELINE) == "Succeeded"
    polling.refresh(target.pk)
    second = ReleaseTarget.objects.get(pk=target.pk).latest_deployment()
    assert second.deployment_id != first.deployment_id and second.status == "Succeeded"
    expect(page.locator("#deployment")).to_contain_text(second.deployment_id)
    expect(page.locator("#deployment-status")).to_have_text("Succeeded")
