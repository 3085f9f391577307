"""A worker killed in the middle of a step: once the sweeper sees its lease has run out, a new worker
finishes the step from where it stopped, adopting what the dead one had created, and duplicates nothing."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from provisioning import forms, services, tasks
from provisioning.models import Resource, Setup, StepRun

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue, endpoint_url, log):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "2",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }
    command = [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "--pool", "solo", "-Q", queue]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for(condition, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def sandbox_calls(sandbox, operation):
    return sandbox.calls().get("elbv2", {}).get(operation, 0)


def target_group_exists(aws, name):
    return any(g["TargetGroupName"] == name for g in aws.elbv2.describe_target_groups()["TargetGroups"])


def test_a_killed_worker_s_step_finishes_after_a_restart_without_duplicates(
    transactional_db, aws, sandbox, settings, tmp_path
):
    settings.PROVISIONING_QUEUE = queue = f"provisioning-restart-{os.getpid()}"
    call_command("provision", "depot", "--until", "taskdef", "--sample-image")
    setup = Setup.objects.get(name="depot")
    values = {name: forms.initial(setup)[name] for name in forms.LoadBalancerForm.base_fields}
    sandbox.set_fault(kind="latency", service="elbv2", operation="CreateTargetGroup", ms=1500)

    log = (tmp_path / "workers.log").open("w")  # read it when this test fails
    first = start_worker(queue, sandbox.endpoint_url, log)
    try:
        run = services.start_step(setup, "loadbalancer", values)
        wait_for(lambda: sandbox_calls(sandbox, "CreateTargetGroup") == 1, what="the first target group's call")
        first.kill()  # while AWS is still making the target group
    finally:
        first.kill()
        first.wait()
    sandbox.clear_faults()
    wait_for(lambda: target_group_exists(aws, "depot-tg-1"), what="AWS to finish the orphaned call")
    assert StepRun.objects.get(pk=run.pk).status == StepRun.RUNNING

    # Time passes: the dead worker's lease runs out, and beat's sweeper re-enqueues the run.
    StepRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    tasks.sweep()
    second = start_worker(queue, sandbox.endpoint_url, log)
    try:
        wait_for(lambda: StepRun.objects.get(pk=run.pk).is_finished, timeout=60, what="the step to finish")
    finally:
        second.terminate()
        second.wait()
        log.close()

    run.refresh_from_db()
    assert (run.status, run.attempts) == (StepRun.SUCCEEDED, 2)
    assert run.action("target_group_1")["detail"] == "already there (ours)"
    groups = aws.elbv2.describe_target_groups()["TargetGroups"]
    assert sorted(g["TargetGroupName"] for g in groups) == ["depot-tg-1", "depot-tg-2"]
    balancer = aws.elbv2.describe_load_balancers()["LoadBalancers"]
    assert [b["LoadBalancerName"] for b in balancer] == ["depot-alb"]
    listeners = aws.elbv2.describe_listeners(LoadBalancerArn=balancer[0]["LoadBalancerArn"])["Listeners"]
    assert sorted(listener["Port"] for listener in listeners) == [80, 8080]
    calls = sandbox.calls()["elbv2"]
    assert (calls["CreateLoadBalancer"], calls["CreateTargetGroup"], calls["CreateListener"]) == (1, 2, 2)
    tg1 = Resource.objects.get(kind="elbv2.target-group", name="depot-tg-1")
    assert (tg1.owned, tg1.state, tg1.run_id) == (True, Resource.PRESENT, run.pk)
