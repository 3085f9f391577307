"""One sweeper for every kind of job: a worker killed (SIGKILL) while it holds a job leaves the row running; once its
lease has run out the sweeper queues it again for another worker, or, when it has had its starts, times it out.
Either way the job's polled fragment stops polling."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dashboard import jobs
from dashboard.audit import AuditEvent
from dashboard.models import ConnectionCheck

from .workers import kill_mid_call, sweep_and_finish

HTMX = {"HX-Request": "true"}


def test_a_connection_check_whose_worker_was_killed_is_run_again_and_stops_polling(
    transactional_db, sandbox, client, operator, job_queue, tmp_path
):
    client.force_login(operator)
    log = (tmp_path / "workers.log").open("w")  # read it when this test fails

    def check_connection():
        client.post(reverse("connection-check-create"), headers=HTMX)
        return ConnectionCheck.objects.get()

    check = kill_mid_call(sandbox, job_queue, log, "sts", "GetCallerIdentity", check_connection)
    fragment = reverse("connection-check-detail", args=[check.pk])
    assert client.get(fragment, headers=HTMX).status_code == 200  # still running: the page keeps polling

    check = sweep_and_finish(check, job_queue, log)
    log.close()
    assert (check.status, check.attempts, check.account) == (ConnectionCheck.SUCCEEDED, 2, "123456789012")
    done = client.get(fragment, headers=HTMX)
    assert done.status_code == 286 and b"Connected" in done.content


def test_a_job_that_had_its_starts_is_timed_out_audited_and_stops_polling(db, client, operator, settings):
    client.force_login(operator)
    check = ConnectionCheck.objects.create(requested_by=operator, region="us-east-1")
    AuditEvent.objects.create(
        action="aws.connection_check", outcome=AuditEvent.REQUESTED, target_type="connectioncheck", target_id=check.pk
    )
    gone = timezone.now() - timedelta(seconds=1)
    ConnectionCheck.objects.filter(pk=check.pk).update(
        status=ConnectionCheck.RUNNING, attempts=ConnectionCheck.MAX_ATTEMPTS, lease_owner="dead", lease_expires_at=gone
    )

    assert jobs.sweep() == [("connectioncheck", check.pk, "timed_out")]
    check.refresh_from_db()
    assert (check.status, check.error_code) == (ConnectionCheck.TIMED_OUT, "TimedOut")
    requested, ended = AuditEvent.objects.filter(target_type="connectioncheck").order_by("pk")
    assert (ended.outcome, ended.error_code, ended.follows_id) == (AuditEvent.FAILED, "TimedOut", requested.pk)
    done = client.get(reverse("connection-check-detail", args=[check.pk]), headers=HTMX)
    assert done.status_code == 286
    assert "TimedOut" in done.content.decode() and "Retry" in client.get(reverse("overview")).content.decode()
    assert jobs.sweep() == []  # concluded once


def test_a_job_whose_task_never_arrived_is_queued_again(db, operator, settings, job_queue):
    check = ConnectionCheck.objects.create(requested_by=operator)
    ConnectionCheck.objects.filter(pk=check.pk).update(created_at=timezone.now() - timedelta(seconds=5))
    assert jobs.sweep() == [("connectioncheck", check.pk, "requeued")]


def test_a_job_a_live_worker_holds_is_left_alone(db, operator, job_queue):
    check = ConnectionCheck.objects.create(requested_by=operator)
    assert check.claim("alive")
    assert jobs.sweep() == []
    check.heartbeat()
    assert not ConnectionCheck.objects.get(pk=check.pk).claim("another")
