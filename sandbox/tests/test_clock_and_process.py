"""Time: the manual clock, the speed factor, and `python -m sandbox` as a process."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

import pytest

from sandbox.testing import SandboxClient, SandboxClients, SandboxControlError, run_sandbox
from sandbox.tutorial import Tutorial


def test_manual_clock_moves_only_when_advanced(aws):
    before = datetime.fromisoformat(aws.sandbox.health()["clock"])
    time.sleep(0.05)
    assert datetime.fromisoformat(aws.sandbox.health()["clock"]) == before
    after = datetime.fromisoformat(aws.sandbox.advance(90)["clock"])
    assert (after - before).total_seconds() == 90


def test_emulated_timestamps_follow_the_sandbox_clock(aws):
    t = Tutorial(aws).build(pipeline=False)
    deployment_id = t.create_deployment()
    created = aws.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["createTime"]
    aws.sandbox.advance(3600)
    aws.codedeploy.stop_deployment(deploymentId=deployment_id)
    completed = aws.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["completeTime"]
    assert (completed - created).total_seconds() == 3600


def test_speed_factor_runs_deployments_by_itself(sandbox):
    # A second in-process sandbox shares moto's state with the session one: both reset before use.
    with run_sandbox(manual_clock=False, speed=200) as fast:
        fast.reset()
        with pytest.raises(SandboxControlError, match="manual clock"):
            fast.advance(10)
        aws = SandboxClients(fast)
        t = Tutorial(aws, ready_wait_minutes=None, termination_wait_minutes=1).build(pipeline=False)
        deployment_id = t.create_deployment()
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            status = aws.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]
            if status == "Succeeded":
                break
            time.sleep(0.05)
        assert status == "Succeeded"  # about 100 sandbox seconds in about half a real second
        assert fast.health()["speed"] == 200
    sandbox.reset()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_m_sandbox_serves_on_the_port_from_the_environment():
    port = free_port()
    env = {**os.environ, "SANDBOX_PORT": str(port), "SANDBOX_SPEED": "60"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox"],
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        client = SandboxClient(f"http://127.0.0.1:{port}")
        health = client.health()
        assert (health["sandbox"], health["speed"], health["manual_clock"]) == (True, 60, False)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/calls") as response:
            assert json.loads(response.read()) == {"calls": {}}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
