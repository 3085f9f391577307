"""Times that tell the truth when AWS's clock is not the dashboard's: in a real browser, against a sandbox that
runs in real time with its clock ten minutes off the dashboard's (AWS's clock legitimately differs from its
clients'; ten minutes makes any mixing of the two clocks plain to see).

No duration on any page is negative, the release timelines are in order, and the ready wait's and termination
wait's countdowns shown in the browser end within 2 s of when the sandbox really ends them.
"""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone
from playwright.sync_api import expect

from releases.models import ReleaseTarget
from releases.tests.conftest import console_tutorial, wait_for
from releases.tests.test_browser import confirm
from sandbox.testing import SandboxClient, SandboxClients

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NEGATIVE = re.compile(r"(?<![\w:])[-−]\s?\d+\s?(s|min|h|d|seconds?|minutes?|hours?)\b")
COUNTDOWN = re.compile(r"in (?:(\d+) h )?(?:(\d+) min )?(\d+) s")


@pytest.fixture(params=[600], ids=["aws-ahead"])  # behind: test_clocks_behind_browser.py, for another process
def live_sandbox(request, settings):
    yield from run_live_sandbox(request.param, settings)


def run_live_sandbox(offset, settings):
    """`python -m sandbox` at speed 1 in its own process (moto keeps one state per process), its clock off."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "sandbox", "--port", str(port), "--speed", "1"],
        cwd=ROOT,
        env={**os.environ, "SANDBOX_STATE_DIR": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = SandboxClient(f"http://127.0.0.1:{port}")
    wait_for(lambda: _healthy(client), timeout=30, what="the sandbox to start")
    # The steps before and between the waits in a tenth of their time: the test's minutes go to the waits it checks.
    client.configure(clock_offset_seconds=offset, step_time_factor=0.1)
    client.offset = offset
    from dashboard import aws

    settings.AWS_ENDPOINT_URL = client.endpoint_url
    settings.AWS_REGION = "us-east-1"
    aws.reset_clients()
    yield client
    aws.reset_clients()
    process.terminate()
    process.wait(timeout=10)


def _healthy(client):
    try:
        return client.health()
    except OSError:
        return False


class Beat:
    """What celery beat does, in a thread: ask every half second which targets are due (the worker refreshes)."""

    def __init__(self):
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection

        from releases import tasks

        while not self._stop.wait(0.5):
            tasks.poll_due()
            tasks.probe_idle()
        connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


def finish_by_hand(tutorial):
    """Let the release in progress end, continuing its waits as someone in the CodeDeploy console would."""

    def finished():
        executions = tutorial.aws.codepipeline.list_pipeline_executions(pipelineName=tutorial.pipeline)
        for deployment in tutorial.deployments():
            wait = {"Ready": "READY_WAIT"}.get(deployment["status"])
            if deployment["status"] == "InProgress" and tutorial.target_status(deployment) == "Succeeded":
                wait = "TERMINATION_WAIT"
            if wait:
                with contextlib.suppress(ClientError):  # continued already, and terminating the original
                    tutorial.aws.codedeploy.continue_deployment(
                        deploymentId=deployment["deploymentId"], deploymentWaitType=wait
                    )
        summaries = executions["pipelineExecutionSummaries"]
        return summaries and all(e["status"] not in ("InProgress", "Stopping") for e in summaries)

    wait_for(finished, timeout=120, what="the first release to finish")


def no_negative_duration(page):
    text = page.locator("main").inner_text()
    assert not NEGATIVE.search(text), f"a negative duration on {page.url}: {NEGATIVE.search(text).group(0)!r}"


def countdown_end(page, selector):
    """When (on this machine's clock) the countdown shown in `selector` says the wait ends, read as it ticks."""
    element = page.locator(f"{selector} time[data-countdown]").first
    expect(element).to_have_text(COUNTDOWN)
    first = element.inner_text()
    expect(element).not_to_have_text(first, timeout=3_000)  # a tick just happened: the text is fresh
    read_at = time.time()
    hours, minutes, seconds = COUNTDOWN.search(element.inner_text()).groups()
    return read_at + int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds)


def real_time(aws_time, sandbox):
    """When, on this machine's clock, the sandbox's clock read `aws_time`."""
    return aws_time.timestamp() - sandbox.offset


def aws_start_times_read_on_our_clock(page, tutorial, sandbox):
    """The execution start times the console lists are the moments on the dashboard's clock, not AWS's."""
    summaries = tutorial.aws.codepipeline.list_pipeline_executions(pipelineName=tutorial.pipeline)
    starts = [real_time(e["startTime"], sandbox) for e in summaries["pipelineExecutionSummaries"]]
    shown = page.locator("#pipeline dt:text-is('Started') + dd").inner_text().split()[0]
    assert _seconds_apart(shown, starts[0]) <= 2, f"the newest execution shows started at {shown}"
    listed = page.locator("#executions tbody td:nth-child(3)").all_inner_texts()
    assert len(listed) == len(starts)
    for text, start in zip(listed, starts, strict=True):
        assert _seconds_apart(text.split()[-1], start) <= 60, f"an execution is listed as started {text}"


def _seconds_apart(clock_text, moment):
    """How far a shown time of day (HH:MM or HH:MM:SS, the dashboard's time zone) is from a moment."""
    local = timezone.localtime(datetime.fromtimestamp(moment, UTC))
    shown = [int(part) for part in clock_text.split(":")]
    of_day = local.hour * 3600 + local.minute * 60 + (local.second if len(shown) == 3 else 0)
    apart = abs(shown[0] * 3600 + shown[1] * 60 + (shown[2] if len(shown) == 3 else 0) - of_day)
    return min(apart, 86400 - apart)


def latest(tutorial):
    return tutorial.deployments()[-1]


def test_countdowns_end_when_aws_ends_the_wait_and_no_duration_is_negative(
    live_sandbox, settings, worker, sign_in, operator, live_server
):
    settings.RELEASES_ACTIVE_POLL_SECONDS = 1.0
    settings.RELEASES_PAGE_POLL_SECONDS = settings.RELEASES_PAGE_IDLE_POLL_SECONDS = 0.5
    from dashboard import aws
    from releases.worker.track import track_pipeline

    boto = SandboxClients(live_sandbox)
    tutorial = console_tutorial(boto, ready_wait_minutes=1, termination_wait_minutes=1)
    finish_by_hand(tutorial)
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    page = sign_in(operator)
    page.goto(live_server.url + target.get_absolute_url())
    expect.set_options(timeout=90_000)
    try:
        with Beat():
            # A release left alone at Ready: the ready wait runs out and the deployment stops.
            tutorial.push_image()
            expect(page.locator("#deployment-status")).to_have_text("Ready")
            shown_end = countdown_end(page, "#needs-action")
            no_negative_duration(page)
            wait_for(lambda: latest(tutorial)["status"] == "Stopped", timeout=90, what="the ready wait to end")
            stopped = real_time(latest(tutorial)["completeTime"], live_sandbox)
            assert abs(shown_end - stopped) <= 2, f"the ready wait ended {stopped - shown_end:+.1f} s off its countdown"
            expect(page.locator("#deployment-status")).to_have_text("Stopped")
            wait_for(lambda: not ReleaseTarget.objects.get(pk=target.pk).active, timeout=30, what="idle")

            # A release rerouted from the console: the termination wait runs out and the original goes.
            tutorial.push_image()
            expect(page.locator("#deployment-status")).to_have_text("Ready")
            confirm(page, "reroute", "checked on the test port")
            expect(page.locator("#deployment")).to_contain_text("Termination wait")
            shown_end = countdown_end(page, "#deployment")
            no_negative_duration(page)

            def original_terminated():
                services = tutorial.aws.ecs.describe_services(cluster=tutorial.cluster, services=[tutorial.service])
                return len(services["services"][0].get("taskSets", [])) == 1

            wait_for(original_terminated, timeout=90, what="the original task set to be terminated")
            ended = time.time()  # AWS's only sign of the wait's end: the task set goes (seen within 50 ms)
            assert abs(ended - shown_end) <= 2, f"the wait ended {ended - shown_end:+.1f} s off its countdown"
            expect(page.locator("#deployment-status")).to_have_text("Succeeded")
            no_negative_duration(page)
            aws_start_times_read_on_our_clock(page, tutorial, live_sandbox)
            console_steps = page.locator("#timeline .step.done .muted").all_inner_texts()
            assert console_steps == sorted(console_steps), f"console timeline out of order: {console_steps}"
    finally:
        expect.set_options(timeout=5_000)

    execution_id = tutorial.aws.codepipeline.list_pipeline_executions(pipelineName=tutorial.pipeline)[
        "pipelineExecutionSummaries"
    ][0]["pipelineExecutionId"]
    for path in ("/history/", "/insights/", f"/history/releases/{target.name}/{execution_id}/"):
        page.goto(live_server.url + path)
        no_negative_duration(page)
    timeline = page.locator(".milestones time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    moments = [datetime.fromisoformat(t) for t in timeline]
    assert len(moments) >= 5 and moments == sorted(moments), f"the release timeline is out of order: {timeline}"
