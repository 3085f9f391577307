"""A worker killed in the middle of a step: once the sweeper sees its lease has run out, a new worker
finishes the step from where it stopped, adopting what the dead one had created, and duplicates nothing."""

import os
from datetime import timedelta

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dashboard import jobs
from dashboard.tests.workers import kill_mid_call, start_worker, sweep_and_finish, wait_for
from provisioning.models import DriftCheck, Resource, Setup, StepRun
from provisioning.web import forms, step_requests


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
    first = start_worker(queue, log, AWS_MAX_ATTEMPTS=2)
    try:
        run = step_requests.start_step(setup, "loadbalancer", values)
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
    jobs.sweep()
    second = start_worker(queue, log, AWS_MAX_ATTEMPTS=2)
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


def test_a_drift_check_whose_worker_was_killed_is_run_again_and_the_inventory_stops_polling(
    transactional_db, sandbox, client, admin_user, job_queue, tmp_path
):
    call_command("provision", "depot", "--until", "loadbalancer", "--sample-image")
    client.force_login(admin_user)
    log = (tmp_path / "workers.log").open("w")  # read it when this test fails
    inventory = reverse("setup-inventory", args=["depot"])

    def check_drift():
        client.post(inventory)
        return DriftCheck.objects.get()

    check = kill_mid_call(sandbox, job_queue, log, "elbv2", "DescribeListeners", check_drift)
    assert client.get(inventory, headers={"HX-Request": "true"}).status_code == 200  # still polling
    check = sweep_and_finish(check, job_queue, log)
    log.close()
    assert (check.status, check.attempts) == (DriftCheck.SUCCEEDED, 2), check.error_message
    assert {f["state"] for f in check.findings if f["kind"] == "elbv2.listener"} == {"in line"}
    assert client.get(inventory, headers={"HX-Request": "true"}).status_code == 286
