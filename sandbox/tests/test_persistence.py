"""The sandbox keeps its AWS in a state dir across restarts (persistence.py), in-flight work included.

Each test runs its own sandboxes with a state dir; moto's state is per process, so between "processes" the test
forgets it (`forget_moto`) as a real restart would. The session sandbox is reset by the next test's `aws` fixture.
"""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sandbox.testing import SandboxClient, SandboxClients, run_sandbox
from sandbox.tutorial import Tutorial

from .helpers import PIPELINE, deployment, executions, forward_weights, primary_task_set, target


def forget_moto():
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


@pytest.fixture
def state_dir(tmp_path):
    forget_moto()
    yield tmp_path / "sandbox"
    forget_moto()


def newest_deployment_id(aws):
    ids = aws.codedeploy.list_deployments(applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup")
    return ids["deployments"][-1]


def test_a_restart_keeps_every_resource_and_a_release_still_works(state_dir):
    with run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        tutorial = Tutorial(aws, ready_wait_minutes=None, termination_wait_minutes=0).build()
        sb.advance(120)
        first = newest_deployment_id(aws)
        assert deployment(aws, first)["status"] == "Succeeded"
        saved_clock = sb.health()["clock"]
    forget_moto()

    with run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        assert sb.health()["clock"] >= saved_clock  # the sandbox clock never goes back
        assert aws.ecr.describe_repositories()["repositories"][0]["repositoryName"] == "nginx"
        assert len(aws.ecr.describe_images(repositoryName="nginx")["imageDetails"]) == 1
        assert aws.ecs.describe_services(cluster="my-cluster", services=["my-service"])["services"][0]["status"] == (
            "ACTIVE"
        )
        assert aws.elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerName"]
        assert aws.iam.get_role(RoleName="CodeDeployECSRole")["Role"]["Arn"] == tutorial.ids["codedeploy_role_arn"]
        assert (
            aws.codedeploy.get_deployment_group(
                applicationName="codedeployapp", deploymentGroupName="codedeploydeplgroup"
            )["deploymentGroupInfo"]["lastSuccessfulDeployment"]["deploymentId"]
            == first
        )
        assert aws.codepipeline.get_pipeline(name=PIPELINE)["pipeline"]["name"] == PIPELINE
        history = executions(aws)
        assert [e["status"] for e in history] == ["Succeeded"]
        assert aws.codecommit.get_branch(repositoryName="MyDemoRepo", branchName="main")["branch"]["commitId"]

        # a release after the restart: a push starts the pipeline through the restored EventBridge rule
        tutorial.aws = aws
        tutorial.push_image("nginx:2")
        sb.advance(120)
        history = executions(aws)
        assert [e["status"] for e in history] == ["Succeeded", "Succeeded"]
        second = newest_deployment_id(aws)
        assert second != first
        assert deployment(aws, second)["status"] == "Succeeded"
        assert primary_task_set(aws)["externalId"] == second


def test_an_in_flight_release_carries_on_after_a_restart(state_dir):
    with run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        tutorial = Tutorial(aws, ready_wait_minutes=60, termination_wait_minutes=60).build()
        sb.advance(15)  # the deployment is installing the replacement task set
        deployment_id = newest_deployment_id(aws)
        assert deployment(aws, deployment_id)["status"] == "InProgress"
        events = {e["lifecycleEventName"]: e["status"] for e in target(aws, deployment_id)["lifecycleEvents"]}
        assert events["Install"] == "InProgress"
    forget_moto()

    with run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        sb.advance(60)
        info = deployment(aws, deployment_id)
        assert info["status"] == "Ready"  # Install, test traffic and its hooks went on; waiting for a reroute
        assert forward_weights(aws, tutorial.ids["listener_8080"]) == {"target-group-2": 100}
        assert forward_weights(aws, tutorial.ids["listener_80"]) == {"target-group-1": 100}
    forget_moto()

    with run_sandbox(state_dir=state_dir) as sb:  # restarted while waiting at Ready
        aws = SandboxClients(sb)
        assert deployment(aws, deployment_id)["status"] == "Ready"
        aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
        sb.advance(30)
        assert forward_weights(aws, tutorial.ids["listener_80"]) == {"target-group-2": 100}
        assert target(aws, deployment_id)["status"] == "Succeeded"  # the termination wait
        assert deployment(aws, deployment_id)["status"] == "InProgress"
    forget_moto()

    with run_sandbox(state_dir=state_dir) as sb:  # restarted during the termination wait
        aws = SandboxClients(sb)
        aws.codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
        sb.advance(30)
        assert deployment(aws, deployment_id)["status"] == "Succeeded"
        services = aws.ecs.describe_services(cluster="my-cluster", services=["my-service"])["services"]
        assert [ts["externalId"] for ts in services[0]["taskSets"]] == [deployment_id]
        assert [e["status"] for e in executions(aws)] == ["Succeeded"]  # the pipeline followed it to the end


def test_a_corrupt_state_file_starts_empty_and_is_kept_aside(state_dir, caplog):
    state_dir.mkdir(parents=True)
    (state_dir / "state.pickle").write_bytes(b"not a pickle at all")
    with caplog.at_level("ERROR", logger="sandbox"), run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        assert aws.ecr.describe_repositories()["repositories"] == []
        aws.ecr.create_repository(repositoryName="after-the-bad-file")
    assert "SANDBOX STATE NOT RESTORED" in caplog.text
    kept = list(state_dir.glob("state.pickle.bad-*"))
    assert [p.read_bytes() for p in kept] == [b"not a pickle at all"]
    forget_moto()
    with run_sandbox(state_dir=state_dir) as sb:  # the new state was saved over it
        names = [r["repositoryName"] for r in SandboxClients(sb).ecr.describe_repositories()["repositories"]]
        assert names == ["after-the-bad-file"]


def test_a_reset_is_saved_too(state_dir):
    with run_sandbox(state_dir=state_dir) as sb:
        SandboxClients(sb).ecr.create_repository(repositoryName="soon-gone")
        sb.reset()
    forget_moto()
    with run_sandbox(state_dir=state_dir) as sb:
        assert SandboxClients(sb).ecr.describe_repositories()["repositories"] == []


def aws_clock(sb):
    from email.utils import parsedate_to_datetime

    answer = SandboxClients(sb).ecr.describe_repositories()
    return parsedate_to_datetime(answer["ResponseMetadata"]["HTTPHeaders"]["date"])


def test_a_clock_set_off_real_time_is_off_by_the_same_amount_after_a_restart(state_dir):
    with run_sandbox(state_dir=state_dir) as sb:
        sb.configure(clock_offset_seconds=600)
        before, started = aws_clock(sb), time.monotonic()
        SandboxClients(sb).ecr.create_repository(repositoryName="saved")  # something to save
    forget_moto()
    with run_sandbox(state_dir=state_dir) as sb:
        assert sb.settings()["clock_offset_seconds"] == 600
        moved = (aws_clock(sb) - before).total_seconds()
        assert 0 <= moved <= time.monotonic() - started + 1, f"the clock moved {moved} s across the restart"


def wait_for_health(url, process, deadline=60):
    client = SandboxClient(url, timeout=2)
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, process.stderr.read()
        try:
            return client.health()
        except OSError:
            time.sleep(0.1)  # the port is not open yet: nothing to wait on but the socket
    raise AssertionError("the sandbox did not answer in time")


def start_process(state_dir, port):
    env = {**os.environ, "SANDBOX_STATE_DIR": str(state_dir), "SANDBOX_PORT": str(port)}
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "sandbox", "--manual-clock"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_m_sandbox_keeps_its_state_across_a_sigterm(tmp_path):
    state_dir, port = tmp_path / "sandbox", free_port()
    url = f"http://127.0.0.1:{port}"
    aws = SandboxClients(SandboxClient(url))
    process = start_process(state_dir, port)
    try:
        wait_for_health(url, process)
        aws.ecr.create_repository(repositoryName="kept")
        process.send_signal(signal.SIGTERM)  # what `make demo` sends each process on Ctrl-C
        assert process.wait(timeout=30) == 0
        assert (state_dir / "state.pickle").exists()
    finally:
        process.kill() if process.poll() is None else None
    process = start_process(state_dir, port)
    try:
        wait_for_health(url, process)
        names = [r["repositoryName"] for r in aws.ecr.describe_repositories()["repositories"]]
        assert names == ["kept"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


OTHER = "222222222222"


def test_every_account_is_saved_and_restored(state_dir):
    with run_sandbox(state_dir=state_dir) as sb:
        credentials = sb.account_credentials(OTHER)
        aws, other = SandboxClients(sb), SandboxClients(sb, credentials=credentials)
        Tutorial(other, ready_wait_minutes=None, termination_wait_minutes=0).build().settle()
        aws.codecommit.create_repository(repositoryName="mine")
        trust = {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
        other.iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps({"Statement": [trust]}))
        granted = aws.sts.assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/deployer", RoleSessionName="release")
    forget_moto()

    with run_sandbox(state_dir=state_dir) as sb:
        assert sb.account_credentials(OTHER) == credentials
        aws, other = SandboxClients(sb), SandboxClients(sb, credentials=credentials)
        pipeline = other.codepipeline.get_pipeline(name=PIPELINE)["metadata"]["pipelineArn"]
        assert pipeline == f"arn:aws:codepipeline:us-east-1:{OTHER}:{PIPELINE}"
        assert [e["status"] for e in executions(other)] == ["Succeeded"]
        with pytest.raises(ClientError, match="Account '123456789012' does not have a pipeline"):
            aws.codepipeline.get_pipeline(name=PIPELINE)
        assert [r["repositoryName"] for r in aws.codecommit.list_repositories()["repositories"]] == ["mine"]
        assert [r["repositoryName"] for r in other.codecommit.list_repositories()["repositories"]] == ["MyDemoRepo"]
        role = SandboxClients(sb, credentials=granted["Credentials"])
        assert role.sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/deployer/release"
        sb.advance(3600)
        with pytest.raises(ClientError, match="ExpiredToken"):
            role.sts.get_caller_identity()

        Tutorial(other, ids={"account": OTHER}).push_image("nginx:2")  # their rule still starts their pipeline
        sb.advance(60)
        assert len(executions(other)) == 2


def as_format_1(path):
    """Rewrite a state file as the sandbox wrote it before accounts: format 1, emulated state by region name."""
    from sandbox import persistence

    class Reference:
        def __init__(self, pid):
            self.pid = pid

    class Reader(pickle.Unpickler):
        def persistent_load(self, pid):
            return Reference(pid)

    class Writer(persistence._Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Reference):
                return ("region", obj.pid[2]) if obj.pid[0] == "region" else obj.pid
            return None

    with path.open("rb") as handle:
        header = pickle.load(handle)  # noqa: S301 - the test's own file
        data = Reader(handle).load()
    world = data["world"]
    world["regions"] = {name: parts for (_, name), parts in world["regions"].items()}
    del world["accounts"]
    for parts in world["regions"].values():
        for repository in parts["codecommit"].repositories.values():
            del vars(repository)["account"]
        for execution in parts["codepipeline"].executions.values():
            del vars(execution)["artifact_bucket"]
    with path.open("wb") as handle:
        pickle.dump({**header, "format": 1}, handle)
        Writer(handle, object()).dump(data)


def test_a_state_file_from_before_accounts_is_the_default_account_s(state_dir):
    with run_sandbox(state_dir=state_dir) as sb:
        Tutorial(SandboxClients(sb), ready_wait_minutes=None, termination_wait_minutes=0).build().settle()
    as_format_1(state_dir / "state.pickle")
    forget_moto()

    with run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        assert not list(state_dir.glob("state.pickle.bad-*"))
        repository = aws.codecommit.get_repository(repositoryName="MyDemoRepo")["repositoryMetadata"]
        assert repository["Arn"] == "arn:aws:codecommit:us-east-1:123456789012:MyDemoRepo"
        assert [e["status"] for e in executions(aws)] == ["Succeeded"]
        Tutorial(aws, ids={"account": "123456789012"}).push_image("nginx:2")
        sb.advance(60)
        assert [e["status"] for e in executions(aws)] == ["Succeeded", "Succeeded"]


def test_a_restart_serves_every_listener_again_on_its_former_port(state_dir):
    from .helpers import http_get, local_urls

    with run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        tutorial = Tutorial(aws, event_rules=False).build(pipeline=False)
        urls = local_urls(aws)
        before = http_get(urls[80])[2]
        assert before["color"] == "blue"
    forget_moto()

    with run_sandbox(state_dir=state_dir) as sb:
        aws = SandboxClients(sb)
        assert local_urls(aws) == urls
        assert http_get(urls[80])[2] == before
        assert http_get(urls[8080])[0] == 503
        group = tutorial.ids["target-group-1"]
        (target,) = aws.elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        assert target["TargetHealth"]["State"] == "initial"  # registered on the sandbox clock, kept across the restart
        sb.advance(30)
        (target,) = aws.elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        assert target["TargetHealth"]["State"] == "healthy"
