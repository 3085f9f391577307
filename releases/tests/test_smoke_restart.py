"""A smoke check run outlives its worker: killed mid-attempt (SIGKILL), the run is queued again by the sweeper once
its lease runs out and another worker makes the attempt again and finishes it; a run no worker can finish is timed
out, audited, told, and keeps a reroute blocked."""

from datetime import timedelta

from django.utils import timezone

from dashboard import events, jobs
from dashboard.audit import AuditEvent
from dashboard.tests.workers import start_worker, sweep_and_finish
from notifications import kinds
from notifications.models import Channel, Delivery
from releases import smoke
from releases.models import SmokeRun
from releases.tests.conftest import deployment_status, poll_until, wait_for

from .test_smoke_runs import GREEN, configure

R = SmokeRun


def test_a_worker_killed_mid_attempt_is_replaced_and_the_run_finishes(
    transactional_db, job_queue, tmp_path, tracked, tutorial, sandbox, app
):
    configure(tracked, app, checks=[{**GREEN, "count": 2, "interval": 0}])
    app.delay = 5  # the first attempt is still waiting for its answer when its worker dies
    with open(tmp_path / "workers.log", "w") as log:
        worker = start_worker(job_queue, log, JOB_LEASE_SECONDS=2)
        try:
            tutorial.push_image()
            target = poll_until(sandbox, tracked, lambda t: t.smoke_runs.exists(), timeout=60, what="a run")
            wait_for(lambda: app.requests, what="the first attempt's request")
            worker.kill()
        finally:
            worker.kill()
            worker.wait()
        run = target.smoke_runs.get()
        assert (run.status, run.results) == (R.RUNNING, [])
        app.delay = 0
        run = sweep_and_finish(run, job_queue, log)
    assert run.status == R.PASSED
    assert [result["ok"] for result in run.results] == [True, True]
    assert len(app.requests) == 3  # the lost attempt, made again, and the second


def test_a_run_no_worker_finishes_is_timed_out_told_and_keeps_the_reroute_blocked(tracked, tutorial, sandbox, app):
    Channel.objects.create(name="mail", kind=Channel.EMAIL, recipients="ops@example.com")
    configure(tracked, app, block_reroute=True)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), timeout=60, what="Ready")
    run = target.smoke_runs.get(phase=smoke.TEST)
    gone = timezone.now() - timedelta(minutes=5)  # three workers took it and died, the last lease long over
    R.objects.filter(pk=run.pk).update(status=R.RUNNING, attempts=R.MAX_ATTEMPTS, lease_expires_at=gone)
    assert ("smokerun", run.pk, "timed_out") in jobs.sweep()
    run.refresh_from_db()
    assert run.status == R.TIMED_OUT
    assert smoke.reroute_block(target) == "Smoke checks did not finish"
    ended = AuditEvent.objects.get(action=events.SMOKE_FINISHED)
    assert (ended.outcome, ended.params["status"], ended.actor_name) == ("failed", "timed_out", "smoke checks")
    assert ended.reason.startswith("No worker finished this in 3 starts")
    assert run.reason == ended.reason  # the console shows why
    delivery = Delivery.objects.get(kind=kinds.SMOKE_CHECKS_FAILED)
    assert delivery.title.startswith(f"{target.name}: smoke checks did not finish on the test listener")
