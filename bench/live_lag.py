"""Time from an AWS change to the screen, for an active release and for a new release on an idle target.

    .venv/bin/python bench/live_lag.py [--releases 4] [--no-events]

Runs the real pieces as `make demo` does, each its own process: the sandbox AWS in real time (speed 1), a Celery
worker and beat, the events listener (`manage.py listen_events`, after `manage.py events_rule`; --no-events leaves
both out: polling alone, as on a setup without the events rule), the web server (gunicorn), and a headless
Chromium on the release console. The tutorial's setup
is made by hand (plain boto3) and tracked; then, --releases times, an image is pushed (as `docker push` does) to
the idle target, the deployment runs, and the bench continues its ready wait and termination wait as an operator
would in the CodeDeploy console.

The browser records every version of the console it shows. Afterwards each sandbox-side transition (each
lifecycle event starting and ending, as AWS stamps it) is matched with the first moment the screen showed it:
that is the active lag. The idle lag runs from the push to the first moment the screen showed anything of the
new release. Also prints the AWS calls per minute the dashboard made while idle and while active (the sandbox
counts them; the bench's own calls are left out), and the memory of each process, in one table at the end.
Uses a throwaway SQLite database and broker folder.
"""

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from common import ROOT, memory_mib, setup_django, table  # first: it sets the environment before Django loads

VENV_BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STATES = {"Pending": 0, "Skipped": 1, "InProgress": 1, "Succeeded": 2, "Failed": 2}

# Called in the page: every version of #live it shows, with the browser's time (the same host clock as AWS's).
RECORDER = """
window.__seen = [];
function snap() {
  const rows = {};
  document.querySelectorAll('#lifecycle tbody tr').forEach(function (tr) {
    const cells = tr.querySelectorAll('td');
    if (cells.length >= 2) rows[cells[0].textContent.trim()] = cells[1].textContent.trim().split(' ')[0];
  });
  const status = document.querySelector('#deployment-status');
  const deployment = document.querySelector('#deployment h2 .mono');
  const executions = Array.from(document.querySelectorAll('#executions tbody a')).map(a => a.textContent.trim());
  window.__seen.push({at: Date.now() / 1000, lifecycle: rows, status: status ? status.textContent.trim() : '',
                      deployment: deployment ? deployment.textContent.trim() : '', executions: executions,
});
}
document.addEventListener('htmx:afterSwap', snap);
snap();
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout, what, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


class Processes:
    def __init__(self, env, logs):
        self.env, self.logs, self.running = env, logs, []

    def start(self, name, *command):
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.running.append((name, process, log))
        return process

    def stop(self):
        for _, process, log in reversed(self.running):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


class OwnCalls:
    """The bench's own AWS calls, so that only the dashboard's are counted."""

    def __init__(self, clients):
        self.counts = Counter()
        for name in ("ecr", "codedeploy", "codepipeline"):
            getattr(clients, name).meta.events.register("before-call", self._count)

    def _count(self, model, **kwargs):
        self.counts[f"{model.service_model.service_name}.{model.name}"] += 1


def dashboard_calls(sandbox, own):
    return sum(dashboard_operations(sandbox, own).values())


def dashboard_operations(sandbox, own):
    made = Counter({f"{s}.{op}": n for s, ops in sandbox.calls().items() for op, n in ops.items()})
    made.subtract(own.counts)
    return made


def settle_live(tutorial, timeout=120):
    """Let the release in progress finish in real time, continuing its waits as an operator does."""
    from botocore.exceptions import ClientError

    def finished():
        summaries = tutorial.aws.codepipeline.list_pipeline_executions(pipelineName=tutorial.pipeline)[
            "pipelineExecutionSummaries"
        ]
        for deployment in tutorial.deployments():
            wait = {"Ready": "READY_WAIT"}.get(deployment["status"])
            if deployment["status"] == "InProgress" and tutorial.target_status(deployment) == "Succeeded":
                wait = "TERMINATION_WAIT"
            if wait:
                with contextlib.suppress(ClientError):  # it moved on by itself meanwhile
                    tutorial.aws.codedeploy.continue_deployment(
                        deploymentId=deployment["deploymentId"], deploymentWaitType=wait
                    )
        return summaries and all(e["status"] not in ("InProgress", "Stopping") for e in summaries)

    wait_until(finished, timeout, "the release to finish", every=0.5)


def transitions(tutorial, deployment_id):
    """(what, AWS time) of each lifecycle event starting and ending."""
    target = tutorial.aws.codedeploy.batch_get_deployment_targets(
        deploymentId=deployment_id, targetIds=[f"{tutorial.cluster}:{tutorial.service}"]
    )["deploymentTargets"][0]["ecsTarget"]
    found = []
    for event in target.get("lifecycleEvents", []):
        if event.get("startTime"):
            found.append(((event["lifecycleEventName"], "InProgress"), event["startTime"].timestamp()))
        if event.get("endTime") and event.get("status") == "Succeeded":
            found.append(((event["lifecycleEventName"], "Succeeded"), event["endTime"].timestamp()))
    return found


def first_shown(seen, deployment_id, name, status):
    for snapshot in seen:
        shown = snapshot["lifecycle"].get(name)
        if snapshot["deployment"] == deployment_id and shown in STATES and STATES[shown] >= STATES[status]:
            return snapshot["at"]
    return None


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(title, lags):
    if not lags:
        print(f"{title}: no samples")
        return
    print(
        f"{title}: median {statistics.median(lags):.2f} s, p95 {percentile(lags, 0.95):.2f} s, "
        f"max {max(lags):.2f} s ({len(lags)} samples)"
    )


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # so that the processes it started stop too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=4)
    parser.add_argument("--idle-seconds", type=float, default=30, help="how long the target stays idle before a push")
    parser.add_argument("--no-events", action="store_true", help="no events rule nor listener: polling alone")
    args = parser.parse_args()

    with_sandbox("live-lag-", lambda processes, sandbox: run(args, processes, sandbox, free_port()))


def with_sandbox(prefix, work, *, static=True):
    """The sandbox AWS in real time in a process of its own, Django on a throwaway database pointed at it, then
    `work(processes, sandbox)`; every process started is stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["VAR_DIR"] = str(folder / "var")
    sandbox_port = free_port()
    endpoint = f"http://127.0.0.1:{sandbox_port}"
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "SANDBOX_SPEED": "1",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "PYTHONPATH": str(ROOT),
    }
    processes = Processes(env, folder)
    try:
        processes.start("sandbox", sys.executable, "-m", "sandbox", "--port", str(sandbox_port), "--speed", "1")
        from sandbox.testing import SandboxClient

        sandbox = SandboxClient(endpoint)
        wait_until(lambda: _healthy(sandbox), 30, "the sandbox")
        setup_django(endpoint)
        if static:
            from django.core.management import call_command

            call_command("collectstatic", interactive=False, verbosity=0)
        work(processes, sandbox)
    finally:
        processes.stop()
    print(f"(logs in {folder})")


def start_dashboard(processes, *, events, web_port=None):
    """Worker, beat, the events listener (when `events`) and gunicorn (given a port), as the Procfile has them."""
    celery, level = str(VENV_BIN / "celery"), processes.env["LOG_LEVEL"]
    started = {
        "worker": processes.start(
            "worker", celery, "-A", "dashboard", "worker", "--loglevel", level, "--concurrency", "2"
        ),
        "beat": processes.start("beat", celery, "-A", "dashboard", "beat", "--loglevel", level),
    }
    if events:
        started["events"] = processes.start("events", sys.executable, "manage.py", "listen_events")
    if web_port:
        processes.start(
            "web", str(VENV_BIN / "gunicorn"), "dashboard.wsgi", "--bind", f"127.0.0.1:{web_port}", "--workers", "2",
            "--threads", "4",
        )  # fmt: skip
        wait_until(lambda: _answers(f"http://127.0.0.1:{web_port}"), 30, "the web server")
    return started


def _healthy(sandbox):
    try:
        return sandbox.health()
    except OSError:
        return False


def run(args, processes, sandbox, web_port):
    from django.conf import settings

    from dashboard import aws
    from releases.tests.conftest import console_tutorial
    from releases.worker.track import track_pipeline
    from sandbox.testing import SandboxClients

    boto = SandboxClients(sandbox)
    tutorial = console_tutorial(boto, ready_wait_minutes=30, termination_wait_minutes=60)
    settle_live(tutorial)
    if not args.no_events:
        from django.core.management import call_command

        call_command("events_rule")  # before tracking: tracking finds the queue
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    own = OwnCalls(boto)

    start_dashboard(processes, events=not args.no_events, web_port=web_port)
    base = f"http://127.0.0.1:{web_port}"
    print(
        f"poll settings: active {settings.RELEASES_ACTIVE_POLL_SECONDS} s, idle {settings.RELEASES_IDLE_POLL_SECONDS}"
        f" s, page {settings.RELEASES_PAGE_POLL_SECONDS} s / idle page {settings.RELEASES_PAGE_IDLE_POLL_SECONDS} s"
    )

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the bench's own ORM reads are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": _session(), "url": base}])
        page = context.new_page()
        page.goto(base + target.get_absolute_url())
        if page.url != base + target.get_absolute_url():
            raise SystemExit(f"the console did not open (at {page.url})")
        page.evaluate(RECORDER)
        active_lags, idle_lags, idle_rate, active_rate, missed = [], [], [], [], 0
        release_operations, release_minutes = Counter(), 0.0
        for number in range(1, args.releases + 1):
            _wait_idle(target)
            calls, since = dashboard_calls(sandbox, own), time.monotonic()
            time.sleep(args.idle_seconds)  # the idle target, as it is between releases
            idle_rate.append((dashboard_calls(sandbox, own) - calls) / (time.monotonic() - since) * 60)
            known = set(page.evaluate("window.__seen[window.__seen.length - 1].executions"))
            seen_before = page.evaluate("window.__seen.length")
            calls, since = dashboard_calls(sandbox, own), time.monotonic()
            operations_before = dashboard_operations(sandbox, own)
            started = len(_executions(tutorial))
            tutorial.push_image()  # the tag the pipeline's source watches
            pushed = time.time()
            wait_until(lambda n=started: len(_executions(tutorial)) > n, 30, "the push to start the pipeline")
            settle_live(tutorial)
            _wait_idle(target)
            active_rate.append((dashboard_calls(sandbox, own) - calls) / (time.monotonic() - since) * 60)
            during = dashboard_operations(sandbox, own)
            during.subtract(operations_before)
            release_operations.update({op: n for op, n in during.items() if n > 0})
            release_minutes += (time.monotonic() - since) / 60
            seen = page.evaluate("window.__seen")[seen_before:]
            new = next((s["at"] for s in seen if set(s["executions"]) - known), None)
            if new is not None:
                idle_lags.append(new - pushed)
            deployment_id = tutorial.deployments()[-1]["deploymentId"]
            lags = []
            for (name, status), when in transitions(tutorial, deployment_id):
                shown = first_shown(seen, deployment_id, name, status)
                # Only while the target is active: what happened before the screen first showed the release is
                # the idle lag's, not this one's.
                if shown is not None and new is not None and when >= new:
                    lags.append(max(0.0, shown - when))
            active_lags += lags
            missed += new is None
            first = f"{new - pushed:.2f} s" if new else "never"
            median = f"{statistics.median(lags):.2f} s" if lags else "-"
            print(f"release {number} ({len(seen)} screens): first sign {first} after the push; lifecycle lag {median}")
        browser.close()
    print()
    report("active target, AWS change → screen", active_lags)
    report("idle target, push → first sign on screen", idle_lags)
    if missed:
        print(f"  {missed} of {args.releases} releases ended before the screen showed any sign of them")
    print(
        f"dashboard's AWS calls per minute: idle {statistics.mean(idle_rate):.1f}, "
        f"during a release {statistics.mean(active_rate):.1f} (one target, any number of viewers)"
    )
    print()
    rows = [[what, *_figures(lags)] for what, lags in (("active: AWS change → screen", active_lags),)]
    rows += [["idle: push → first sign on screen", *_figures(idle_lags)]]
    rows += [
        ["AWS calls/min idle", f"{statistics.mean(idle_rate):.1f}", "", "", ""],
        ["AWS calls/min during a release", f"{statistics.mean(active_rate):.1f}", "", "", ""],
    ]
    rows += [[f"memory {name} (MiB)", f"{memory_mib(p.pid):.0f}", "", "", ""] for name, p, _ in processes.running]
    for operation, n in sorted(release_operations.items()):
        rows.append([f"  {operation}/min during a release", f"{n / release_minutes:.1f}", "", "", ""])
    print(table(["events" if not args.no_events else "polling only", "median", "p95", "max", "samples"], rows))


def _figures(lags):
    if not lags:
        return ["-", "-", "-", "0"]
    return [f"{statistics.median(lags):.2f} s", f"{percentile(lags, 0.95):.2f} s", f"{max(lags):.2f} s", len(lags)]


def _executions(tutorial):
    return tutorial.aws.codepipeline.list_pipeline_executions(pipelineName=tutorial.pipeline)[
        "pipelineExecutionSummaries"
    ]


def _answers(base):
    try:
        with urllib.request.urlopen(base + "/sign-in/", timeout=2) as response:  # noqa: S310 - local URL
            return response.status == 200
    except OSError:
        return False


def _session():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _wait_idle(target):
    def idle():
        target.refresh_from_db()
        return target.polled_at and not target.active

    wait_until(idle, 120, "the target to be idle", every=0.5)


if __name__ == "__main__":
    main()
