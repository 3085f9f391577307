"""The lease on a step run: one worker at a time, a dead worker's run taken over, stalled runs swept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning.models import LeaseLost, StepRun
from provisioning.tests.factories import make_setup
from provisioning.web import step_requests


@pytest.fixture
def run(db):
    setup, connect = make_setup("shop")
    return StepRun.objects.create(setup=setup, step="repository", actions=[{"key": "a", "status": "pending"}])


def test_only_one_worker_claims_a_run(run):
    other = StepRun.objects.get(pk=run.pk)
    assert run.claim("worker-1")
    assert not other.claim("worker-2")
    assert StepRun.objects.get(pk=run.pk).lease_owner == "worker-1"


def test_a_run_whose_lease_ran_out_is_taken_over_and_the_old_worker_stops_writing(run):
    run.claim("worker-1")
    StepRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    taken = StepRun.objects.get(pk=run.pk)
    assert taken.claim("worker-2")
    assert taken.attempts == 2
    with pytest.raises(LeaseLost):
        run.set_action("a", status="done")


def test_a_waiting_run_is_claimed_only_when_due_and_the_wake_up_is_not_a_new_attempt(run):
    run.claim("worker-1")
    run.wait("an image", seconds=60)
    assert not StepRun.objects.get(pk=run.pk).claim("worker-2")
    StepRun.objects.filter(pk=run.pk).update(wake_at=timezone.now())
    due = StepRun.objects.get(pk=run.pk)
    assert due.claim("worker-2")
    assert due.attempts == 1


def stalled():
    return list(StepRun.stalled(timezone.now()).values_list("pk", flat=True))


def test_the_sweeper_finds_runs_no_worker_is_on(run, settings):
    settings.PROVISIONING_LEASE_SECONDS = 30
    setup = run.setup
    run.claim("worker-1")
    assert stalled() == []
    StepRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert stalled() == [run.pk]
    StepRun.objects.filter(pk=run.pk).update(status=StepRun.WAITING, wake_at=timezone.now() - timedelta(minutes=5))
    assert stalled() == [run.pk]
    StepRun.objects.filter(pk=run.pk).update(wake_at=timezone.now())
    assert stalled() == []
    assert setup.runs.count() == 2


def test_a_setup_runs_one_step_at_a_time(run):
    with pytest.raises(step_requests.Busy):
        step_requests.start_step(run.setup, "taskdef", {}, enqueue=False)
