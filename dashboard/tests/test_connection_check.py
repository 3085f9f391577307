"""A task enqueued from a web request runs in a real Celery worker and its result shows on a page."""

from django.urls import reverse

from dashboard.audit import AuditEvent
from dashboard.models import ConnectionCheck


def wait_until_finished(check, timeout=20):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check.refresh_from_db()
        if check.is_finished:
            return check
        time.sleep(0.05)
    raise AssertionError(f"check still {check.status} after {timeout} s")


def test_a_connection_check_runs_in_the_worker_and_shows_the_account(client, operator, sandbox, worker):
    client.force_login(operator)
    response = client.post(reverse("connection-check-create"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    check = ConnectionCheck.objects.get()
    assert b"every 1s" in response.content  # the fragment polls until the worker is done

    wait_until_finished(check)
    assert check.status == "succeeded"
    assert check.account and check.arn.startswith("arn:aws:")

    fragment = client.get(reverse("connection-check-detail", args=[check.pk]), headers={"HX-Request": "true"})
    assert fragment.status_code == 286  # htmx stops polling
    assert check.account.encode() in fragment.content
    assert b"every 1s" not in fragment.content
    assert check.account in client.get(reverse("overview")).content.decode()
    requested, concluded = AuditEvent.objects.filter(action="aws.connection_check", actor=operator).order_by("id")
    assert (requested.outcome, concluded.outcome, concluded.follows) == ("requested", "succeeded", requested)
    assert concluded.params["account"] == check.account
    history = client.get(reverse("history")).content.decode()
    assert "Succeeded" in history and f"Outcome of</dt><dd>event {requested.pk}" in history


def test_a_failed_aws_call_shows_its_code_and_offers_a_retry(client, operator, sandbox, worker):
    sandbox.set_fault(kind="throttle", rate=1.0, service="sts")
    client.force_login(operator)
    client.post(reverse("connection-check-create"))
    check = wait_until_finished(ConnectionCheck.objects.get())
    assert check.status == "failed"
    assert check.error_code == "Throttling"
    page = client.get(reverse("overview")).content.decode()
    assert "Throttling" in page and "Retry" in page
    concluded = AuditEvent.objects.filter(action="aws.connection_check").order_by("id").last()
    assert (concluded.outcome, concluded.error_code) == ("failed", "Throttling")
