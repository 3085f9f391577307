"""What a release does reaches the channels once each, with a link to its console: a deployment waiting for a
reroute and an approval waiting (Slack-compatible webhook), a wait about to end, a failed deployment by e-mail
through a real SMTP server."""

import pytest
from django.conf import settings

from notifications import kinds, triggers
from notifications.models import Channel, Delivery
from releases.tests.conftest import (
    APPROVAL_SUMMARY,
    add_approval_stage,
    approval_waits,
    deployment_status,
    poll_until,
    wait_for,
)
from releases.worker import polling

from .receivers import HttpReceiver, SmtpReceiver


@pytest.fixture
def slack(monkeypatch, db):
    server = HttpReceiver()
    monkeypatch.setenv("NOTIFY_SLACK_URL", server.url)
    Channel.objects.create(name="releases", kind=Channel.SLACK, url_variable="NOTIFY_SLACK_URL")
    yield server
    server.stop()


def test_a_deployment_waiting_for_a_reroute_is_told_once_with_a_link_to_its_console(
    worker, slack, tracked, tutorial, sandbox
):
    tutorial.push_image()
    target = poll_until(sandbox, tracked, deployment_status("Ready"), what="Ready")
    wait_for(lambda: slack.received, timeout=15, what="the Slack message")
    for _ in range(3):  # later refreshes see the same Ready deployment
        polling.refresh(target.pk)
        sandbox.advance(5)

    (message,) = [slack.json(i) for i in range(len(slack.received))]
    deployment = target.deployments.filter(status="Ready").get()
    execution = target.executions.order_by("-started_at").first()
    link = f"{settings.PUBLIC_URL}{target.get_absolute_url()}?release={execution.execution_id}"
    assert message["text"] == (
        f"{target.name}: deployment {deployment.deployment_id} is ready and waits for someone to reroute production "
        f"traffic\n<{link}|Open in the dashboard>"
    )
    assert Delivery.objects.get().status == Delivery.SENT


def test_an_approval_waiting_is_told_once_with_its_summary_and_a_link_to_its_console(
    worker, slack, tracked, tutorial, sandbox, boto
):
    add_approval_stage(boto, tutorial)
    tutorial.push_image()
    target = poll_until(sandbox, tracked, approval_waits, what="the approval to wait")
    wait_for(lambda: slack.received, timeout=15, what="the Slack message")
    for _ in range(3):  # later refreshes see the same approval waiting
        polling.refresh(target.pk)
        sandbox.advance(5)

    (message,) = [slack.json(i) for i in range(len(slack.received))]
    execution = target.latest_execution().execution_id
    link = f"{settings.PUBLIC_URL}{target.get_absolute_url()}?release={execution}"
    assert message["text"] == (
        f"{target.name}: approval Approval/Review waits for someone to approve or reject it: {APPROVAL_SUMMARY}"
        f"\n<{link}|Open in the dashboard>"
    )
    assert Delivery.objects.get().kind == kinds.APPROVAL_WAITING


def test_a_ready_wait_about_to_end_is_told_once(slack, ready, settings):
    settings.NOTIFY_SOON_MINUTES = 40  # the tutorial's ready wait is 30 minutes
    triggers.notify_of_deadlines()
    triggers.notify_of_deadlines()
    (delivery,) = Delivery.objects.filter(kind=kinds.READY_WAIT_ENDING)
    deployment = ready.deployments.get(status="Ready")
    assert delivery.title.startswith(f"{ready.name}: deployment {deployment.deployment_id}: the wait ends at ")

    settings.NOTIFY_SOON_MINUTES = 10
    Delivery.objects.all().delete()
    triggers.notify_of_deadlines()
    assert not Delivery.objects.exists()  # 30 minutes away is not soon


def test_a_failed_deployment_is_mailed_with_its_link(worker, db, settings):
    smtp = SmtpReceiver()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        Channel.objects.create(name="on-call", kind=Channel.EMAIL, recipients="oncall@example.com, lead@example.com")
        triggers.notify(kinds.DEPLOYMENT_FAILED, "deployment_failed:d-9", "shop: deployment d-9 failed", scope="shop")
        wait_for(lambda: smtp.messages, timeout=15, what="the e-mail")
    finally:
        smtp.stop()
    (mail,) = smtp.messages
    assert sorted(mail.rcpt_tos) == ["lead@example.com", "oncall@example.com"]
    text = mail.content.decode()
    assert "Subject: shop: deployment d-9 failed" in text
    assert f"Open in the dashboard: {settings.PUBLIC_URL}/history/" in text


def test_a_four_eyes_request_is_told_once_to_the_channels_that_want_it(worker, slack, tracked, operator, admin_user):
    from releases.web import four_eyes
    from releases.web.forms import ActionForm

    four_eyes.choose(tracked, ["reroute", "release_change"], user=admin_user)
    form = ActionForm({"reason": "hotfix for checkout"}, kind="release_change")
    assert form.is_valid()

    class Asking:
        user, META = operator, {}

    four_eyes.ask(tracked, "release_change", form, Asking())
    wait_for(lambda: slack.received, timeout=15, what="the Slack message")
    (message,) = [slack.json(i) for i in range(len(slack.received))]
    assert message["text"].startswith(
        f"{tracked.name}: otto-operator asks a second operator to approve “Release change”: hotfix for checkout\n"
    )
    assert Delivery.objects.get().kind == kinds.FOUR_EYES_REQUEST
