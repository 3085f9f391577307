"""Real Celery workers in their own processes, for tests that kill one mid-job (SIGKILL) and start another."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(queue, log, **env):
    """A worker consuming only `queue`, on the test's database, broker and sandbox endpoint."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "AWS_ENDPOINT_URL": settings.AWS_ENDPOINT_URL,
        "AWS_REGION": settings.AWS_REGION,
        "AWS_MAX_ATTEMPTS": "1",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "JOBS_QUEUE": queue,  # what it queues itself (a reconcile) comes back to it
        **{name: str(value) for name, value in env.items()},
    }
    command = [sys.executable, "-m", "celery", "-A", "dashboard", "worker", "--pool", "solo", "-Q", queue]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(worker):
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_for(condition, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def aws_calls(sandbox, service, operation):
    return sandbox.calls().get(service, {}).get(operation, 0)


def kill_mid_call(sandbox, queue, log, service, operation, start):
    """Start a worker, start a job with `start()` (it returns the job), and SIGKILL the worker while AWS is still
    answering the job's `service` `operation` call. Returns the job, still running."""
    sandbox.set_fault(kind="latency", service=service, operation=operation, ms=3000, times=1)
    before = aws_calls(sandbox, service, operation)
    worker = start_worker(queue, log, JOB_LEASE_SECONDS=2)
    try:
        job = start()
        wait_for(lambda: aws_calls(sandbox, service, operation) > before, what=f"the worker's {operation} call")
        worker.kill()
    finally:
        worker.kill()
        worker.wait()
    job.refresh_from_db()
    assert job.status == job.RUNNING
    return job


def sweep_and_finish(job, queue, log):
    """Once the dead worker's lease has run out, the sweeper queues the job again and a new worker ends it."""
    from django.utils import timezone

    from dashboard import jobs

    def lease_ran_out():
        job.refresh_from_db()
        return job.lease_expires_at is not None and job.lease_expires_at < timezone.now()

    wait_for(lease_ran_out, what="the dead worker's lease to run out")
    assert (job._meta.model_name, job.pk, "requeued") in jobs.sweep()
    worker = start_worker(queue, log, JOB_LEASE_SECONDS=2)
    try:
        wait_for(lambda: type(job).objects.get(pk=job.pk).is_finished, timeout=60, what="the job to end")
    finally:
        stop(worker)
    job.refresh_from_db()
    return job
