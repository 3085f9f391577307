"""Live updates and clocks: an idle target's one-call probe, and AWS's clock offset measured on every refresh."""

from datetime import UTC, datetime, timedelta
from email.utils import formatdate

import pytest
from django.utils import timezone

from releases.clocks import OffsetMeter, on_dashboard_clock, seconds_between
from releases.models import ReleaseTarget
from releases.worker import polling


def calls_made(sandbox, before):
    after = sandbox.calls()
    return {
        f"{service}.{op}": n - before.get(service, {}).get(op, 0)
        for service, ops in after.items()
        for op, n in ops.items()
        if n - before.get(service, {}).get(op, 0)
    }


def test_a_push_to_an_idle_target_makes_it_due_at_once_for_one_call(tracked, tutorial, sandbox):
    later = timezone.now() + timedelta(minutes=1)
    ReleaseTarget.objects.filter(pk=tracked.pk).update(poll_due_at=later)
    assert tracked.pk in polling.idle_targets()

    before = sandbox.calls()
    assert polling.probe(tracked.pk) is False  # nothing new: the target stays due a minute from now
    assert calls_made(sandbox, before) == {"codepipeline.ListPipelineExecutions": 1}
    assert ReleaseTarget.objects.get(pk=tracked.pk).poll_due_at == later

    tutorial.push_image()
    assert polling.probe(tracked.pk) is True
    assert ReleaseTarget.objects.get(pk=tracked.pk).poll_due_at <= timezone.now()
    assert polling.claim_due() == [tracked.pk]


def test_an_active_or_failing_target_is_not_probed(tracked, tutorial, sandbox):
    ReleaseTarget.objects.filter(pk=tracked.pk).update(active=True)
    assert tracked.pk not in polling.idle_targets()
    ReleaseTarget.objects.filter(pk=tracked.pk).update(active=False, poll_failures=2)
    assert tracked.pk not in polling.idle_targets()


def test_each_refresh_measures_how_far_aws_clock_is_from_ours(tracked, sandbox):
    sandbox.configure(clock_offset_seconds=-3600)  # on top of the manual clock's own distance from real time
    aws_now = datetime.fromisoformat(sandbox.health()["clock"])
    polling.refresh(tracked.pk)
    offset = ReleaseTarget.objects.get(pk=tracked.pk).aws_clock_offset
    assert offset == pytest.approx((aws_now - timezone.now()).total_seconds(), abs=1.5)
    assert abs(on_dashboard_clock(aws_now, offset) - timezone.now()) < timedelta(seconds=1.5)


def test_the_offset_is_the_middle_of_what_every_answer_allows():
    meter = OffsetMeter(connection=None)  # observe() alone: no call is made
    assert meter.offset is None
    sent = 1_000_000.2
    # AWS read 1000100 (to the second) between our 1000000.2 and 1000000.4: offset in [99.6, 100.8]
    meter.observe(formatdate(1_000_100, usegmt=True), sent, sent + 0.2)
    assert meter.offset == pytest.approx(100.2)
    # a second answer narrows it down: AWS read 1000101 between 1000000.9 and 1000001.0 -> [100, 101.1]
    meter.observe(formatdate(1_000_101, usegmt=True), 1_000_000.9, 1_000_001.0)
    assert (meter.low, meter.high) == (pytest.approx(100.0), pytest.approx(100.8))
    meter.observe("not a date", 0, 0)
    assert meter.offset == pytest.approx(100.4)


def test_a_duration_between_two_aws_times_is_never_negative():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert seconds_between(start, start - timedelta(seconds=1)) == 0.0
    assert seconds_between(start, start + timedelta(seconds=90)) == 90.0
    assert seconds_between(None, start) is None
