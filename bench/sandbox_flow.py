"""Bench: start `python -m sandbox` as a process, run the tutorial's whole flow with plain boto3,
and report the start time and the server's memory (RSS) idle, at its peak and after the flow.

    .venv/bin/python bench/sandbox_flow.py
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.testing import SandboxClient  # noqa: E402
from sandbox.tutorial import Tutorial  # noqa: E402

SERVICES = ("ecr", "ecs", "ec2", "elbv2", "iam", "s3", "codecommit", "codedeploy", "codepipeline")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mib(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def wait_healthy(url: str, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(f"{url}/_sandbox/health", timeout=1):  # noqa: S310 - local URL
                return time.monotonic() - started
        except OSError:
            time.sleep(0.02)
    raise SystemExit("the sandbox did not answer /_sandbox/health")


def advance_until(control: SandboxClient, condition, step: float = 5, limit: float = 4 * 3600):
    waited = 0.0
    while not (result := condition()):
        if waited > limit:
            raise SystemExit("the flow did not reach the expected state")
        control.advance(step)
        waited += step
    return result


def deployment_of(aws, execution_id: str, control: SandboxClient) -> str:
    def created():
        details = aws.codepipeline.list_action_executions(
            pipelineName="MyImagePipeline", filter={"pipelineExecutionId": execution_id}
        )["actionExecutionDetails"]
        return next(
            (d["output"]["executionResult"].get("externalExecutionId") for d in details if d["stageName"] == "Deploy"),
            None,
        )

    return advance_until(control, created, step=1)


def status(aws, deployment_id: str) -> dict:
    return aws.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def target_status(aws, deployment_id: str) -> str:
    targets = aws.codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    answer = aws.codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=targets)
    return answer["deploymentTargets"][0]["ecsTarget"]["status"]


def release(aws, control: SandboxClient, execution_id: str, roll_back: bool = False) -> None:
    deployment_id = deployment_of(aws, execution_id, control)
    advance_until(control, lambda: status(aws, deployment_id)["status"] == "Ready")
    aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    # CodeDeploy leaves instanceTerminationWaitTimeStarted false for ECS: the wait shows as a Succeeded target.
    advance_until(control, lambda: target_status(aws, deployment_id) == "Succeeded")
    if roll_back:
        aws.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        rollback_id = status(aws, deployment_id)["rollbackInfo"]["rollbackDeploymentId"]
        advance_until(control, lambda: status(aws, rollback_id)["status"] == "Succeeded", step=1)
    else:
        aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
        advance_until(control, lambda: status(aws, deployment_id)["status"] == "Succeeded", step=1)


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port), "--manual-clock"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_healthy(url)
        start_seconds = time.monotonic() - started
        idle = memory_mib(server.pid)
        control = SandboxClient(url)
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        aws = SimpleNamespace(**{name: session.client(name, endpoint_url=url) for name in SERVICES})

        flow_started = time.monotonic()
        tutorial = Tutorial(aws).build()
        first = aws.codepipeline.list_pipeline_executions(pipelineName="MyImagePipeline")
        release(aws, control, first["pipelineExecutionSummaries"][0]["pipelineExecutionId"])
        for n, roll_back in ((2, False), (3, True)):
            tutorial.push_image(f"nginx:{n}")
            latest = aws.codepipeline.list_pipeline_executions(pipelineName="MyImagePipeline")
            release(aws, control, latest["pipelineExecutionSummaries"][0]["pipelineExecutionId"], roll_back)
        flow_seconds = time.monotonic() - flow_started
        after = memory_mib(server.pid)
        calls = sum(sum(ops.values()) for ops in control.calls().values())

        print(f"start until /_sandbox/health answers: {start_seconds:.2f} s")
        print(f"RSS idle after start:                 {idle['VmRSS']:.0f} MiB")
        print(f"tutorial flow (3 releases, 1 rollback): {flow_seconds:.2f} s, {calls} AWS calls")
        print(f"RSS peak during the flow:             {after['VmHWM']:.0f} MiB")
        print(f"RSS after the flow:                   {after['VmRSS']:.0f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
