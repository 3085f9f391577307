"""Notification channels through their page, in Chromium, with real receivers: an admin adds a channel, sends a
test and sees it arrive (signed); bad input is refused and kept; a failing or slow receiver is retried with
back-off, then shown failed with the reason."""

import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect

from dashboard import events
from dashboard.audit import AuditEvent
from notifications import kinds, tasks, triggers
from notifications.models import Channel, Delivery
from releases.tests.conftest import wait_for

from .receivers import HttpReceiver

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    server = HttpReceiver()
    yield server
    server.stop()


def add_channel(page, live_server, **fields):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Notifications").click()
    for name, value in fields.items():
        if name == "kind":
            page.select_option("#id_kind", value)
        else:
            page.fill(f"#id_{name}", value)


def test_an_admin_adds_a_signed_webhook_and_its_test_arrives_signed(
    worker, sign_in, admin_user, live_server, receiver, monkeypatch
):
    monkeypatch.setenv("NOTIFY_ROOM_URL", receiver.url)
    monkeypatch.setenv("NOTIFY_ROOM_KEY", "a-signing-key")
    page = sign_in(admin_user)
    add_channel(page, live_server, name="release-room", kind="webhook", url_variable="NOTIFY_ROOM_URL")
    page.get_by_role("button", name="Add channel").click()
    expect(page.locator("#error-secret_variable")).to_contain_text("Name the variable that holds the key")
    expect(page.locator("#id_url_variable")).to_have_value("NOTIFY_ROOM_URL")  # what was typed is kept

    page.fill("#id_secret_variable", "NOTIFY_ROOM_KEY")
    page.get_by_label(kinds.LABELS[kinds.WAITING_FOR_REROUTE]).check()
    page.get_by_role("button", name="Add channel").click()
    expect(page.locator(".messages")).to_contain_text("Channel release-room added")
    page.get_by_role("button", name="Send a test").click()
    expect(page.locator(".channel .delivery .badge").first).to_have_text("Sent")

    (sent,) = receiver.received
    headers, body = sent["headers"], sent["body"]
    signed = f"{headers['X-Dashboard-Timestamp']}.{body.decode()}".encode()
    expected = hmac.new(b"a-signing-key", signed, hashlib.sha256).hexdigest()
    assert headers["X-Dashboard-Signature"] == f"sha256={expected}"
    assert abs(int(headers["X-Dashboard-Timestamp"]) - time.time()) < 60
    message = json.loads(body)
    assert message["kind"] == "test" and admin_user.username in message["title"]
    assert message["link"].startswith(settings.PUBLIC_URL)
    channel = Channel.objects.get(name="release-room")
    assert channel.events == [kinds.WAITING_FOR_REROUTE]
    assert AuditEvent.objects.filter(action=events.NOTIFY_CHANNEL_ADDED, target_id="release-room").exists()
    assert receiver.url not in page.content()  # the URL is a secret: only its variable's name is shown

    page.get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("Channel release-room removed")
    expect(page.locator(".channel")).to_have_count(0)
    assert not Channel.objects.exists()
    assert AuditEvent.objects.filter(action=events.NOTIFY_CHANNEL_REMOVED, target_id="release-room").exists()


@pytest.mark.parametrize("status, delay, error", [(500, 0, "the receiver answered HTTP 500"), (200, 3, "no answer")])
def test_a_failing_receiver_is_tried_again_with_back_off_then_shown_failed(
    worker, sign_in, admin_user, live_server, receiver, monkeypatch, settings, status, delay, error
):
    receiver.status, receiver.delay = status, delay
    settings.NOTIFY_TIMEOUT_SECONDS, settings.NOTIFY_RETRY_SECONDS, settings.NOTIFY_MAX_ATTEMPTS = 0.5, 0.3, 3
    monkeypatch.setenv("NOTIFY_DOWN_URL", receiver.url)
    channel = Channel.objects.create(name="down", kind=Channel.SLACK, url_variable="NOTIFY_DOWN_URL")
    triggers.notify(kinds.DEPLOYMENT_FAILED, "deployment_failed:d-1", "shop: deployment d-1 failed", scope="shop")
    delivery = Delivery.objects.get(channel=channel)

    def given_up():  # what beat does every few seconds: send what is due again
        tasks.deliver_due()
        delivery.refresh_from_db()
        return delivery.status == Delivery.FAILED

    started = time.monotonic()
    wait_for(given_up, timeout=30, what="the delivery to be given up")
    assert len(receiver.received) == 3 and delivery.attempts == 3
    assert time.monotonic() - started >= 0.3 + 0.6  # it waited 0.3 s, then 0.6 s, between the tries
    assert error in delivery.last_error and receiver.url not in delivery.last_error

    page = sign_in(admin_user)
    page.goto(f"{live_server.url}/notifications/")
    row = page.locator(f"#channel-{channel.pk} tbody tr").first
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text(error)
    expect(row.get_by_role("link", name="shop: deployment d-1 failed")).to_have_attribute(
        "href", f"{settings.PUBLIC_URL}/history/"
    )
