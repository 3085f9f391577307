"""When no worker takes jobs, the pages say so instead of "Running" or "Sending to AWS…"."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dashboard.models import WorkerHeartbeat
from releases import action_requests
from releases.models import OperatorAction as A

HTMX = {"HX-Request": "true"}


def last_heartbeat(seconds_ago):
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": timezone.now() - timedelta(seconds=seconds_ago), "hostname": "w1"}
    )


def test_a_worker_that_missed_two_heartbeats_is_shown_stopped_and_a_waiting_action_says_why(
    client, operator, tracked, settings
):
    settings.WORKER_HEARTBEAT_SECONDS = 15
    client.force_login(operator)
    action = action_requests.request_action(tracked, A.RELEASE_CHANGE, user=operator, reason="rebuild")
    status_url = reverse("release-action-status", args=[action.pk])

    last_heartbeat(10)
    assert "Running" in client.get(reverse("overview")).content.decode()
    assert "Sending to AWS…" in client.get(status_url, headers=HTMX).content.decode()

    last_heartbeat(54)
    overview = client.get(reverse("overview")).content.decode()
    assert "Running" not in overview and "Not seen" in overview
    waiting = client.get(status_url, headers=HTMX).content.decode()
    assert "No worker is taking jobs" in waiting and "it is sent to AWS once a worker runs again" in waiting
    assert "Sending to AWS…" not in waiting
