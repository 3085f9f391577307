"""The README's script (api/examples/reroute-when-ready.sh), run with curl and jq against a live dashboard: it waits
while the deployment is not Ready, then reroutes with its reason, and exits 0 once AWS confirmed it."""

import json
import subprocess
from pathlib import Path

from dashboard.audit import AuditEvent
from dashboard.tests.workers import aws_calls
from releases.tests.conftest import deployment_status, poll_until

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "reroute-when-ready.sh"


def test_the_script_waits_for_ready_then_reroutes_once(live_server, operate_token, tracked, tutorial, sandbox, worker):
    env = {"PATH": "/usr/bin:/bin", "DASHBOARD_URL": live_server.url, "DASHBOARD_TOKEN": operate_token,
           "TARGET": str(tracked.pk), "REASON": "smoke tests passed", "POLL_SECONDS": "0.2"}  # fmt: skip
    before = aws_calls(sandbox, "codedeploy", "ContinueDeployment")
    script = subprocess.Popen(["sh", str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        tutorial.push_image()
        poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
        output, _ = script.communicate(timeout=60)
    finally:
        script.kill()
    assert script.returncode == 0, output
    assert "Waiting for target" in output and output.strip().endswith("Reroute confirmed")
    assert aws_calls(sandbox, "codedeploy", "ContinueDeployment") == before + 1
    requested = AuditEvent.objects.get(action="release.reroute", outcome="requested")
    assert requested.reason == "smoke tests passed" and requested.params["api_token"] == "CI deploy"
    assert all(operate_token not in json.dumps(event.params) for event in AuditEvent.objects.all())


def test_the_script_stops_when_the_api_refuses_its_token(live_server, tracked):
    env = {"PATH": "/usr/bin:/bin", "DASHBOARD_URL": live_server.url, "DASHBOARD_TOKEN": "bgd_revoked",
           "TARGET": str(tracked.pk)}  # fmt: skip
    done = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode != 0 and "401" in done.stderr
