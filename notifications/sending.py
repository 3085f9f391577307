"""Sending one delivery through its channel. What goes wrong is said without the URL: a webhook URL is a secret."""

import hashlib
import hmac
import json
import time

import requests
from django.conf import settings
from django.core import mail

from dashboard.env import env_str

from .models import Channel


class SendFailed(Exception):
    pass


def send(delivery):
    channel = delivery.channel
    if channel.kind == Channel.EMAIL:
        return _email(delivery, channel)
    url = _variable(channel.url_variable, "URL")
    if channel.kind == Channel.SLACK:
        body = json.dumps({"text": f"{delivery.title}\n<{delivery.link}|Open in the dashboard>"})
        return _post(url, body, {})
    body = json.dumps(
        {
            "id": delivery.pk,
            "kind": delivery.kind,
            "title": delivery.title,
            "target": delivery.scope,
            "link": delivery.link,
            "created_at": delivery.created_at.isoformat(),
        }
    )
    timestamp = str(int(time.time()))
    return _post(url, body, {"X-Dashboard-Timestamp": timestamp, **signed(channel, timestamp, body)})


def signed(channel, timestamp, body):
    """X-Dashboard-Signature: sha256=HMAC(key, "<timestamp>.<body>"); a receiver recomputes it and checks that the
    timestamp is recent, so a captured request cannot be replayed later."""
    key = _variable(channel.secret_variable, "signing key").encode()
    digest = hmac.new(key, f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Dashboard-Signature": f"sha256={digest}"}


def _variable(name, what):
    value = env_str(name) if name else ""
    if not value:
        raise SendFailed(f"the {what} variable {name or '(none named)'} is not set where the worker runs")
    return value


def _post(url, body, headers):
    timeout = settings.NOTIFY_TIMEOUT_SECONDS
    try:
        answer = requests.post(
            url,
            data=body.encode(),
            headers={"Content-Type": "application/json", "User-Agent": "bluegreen-dashboard", **headers},
            timeout=(timeout, timeout),
            allow_redirects=False,
        )
    except requests.Timeout:
        raise SendFailed(f"no answer within {timeout:g} s") from None
    except requests.ConnectionError:
        raise SendFailed("could not connect to the receiver") from None
    except requests.RequestException as error:
        raise SendFailed(f"the request failed ({type(error).__name__})") from None
    if not 200 <= answer.status_code < 300:
        raise SendFailed(f"the receiver answered HTTP {answer.status_code}")


def _email(delivery, channel):
    if not channel.recipient_list:
        raise SendFailed("the channel has no recipients")
    text = f"{delivery.title}\n\nOpen in the dashboard: {delivery.link}\n"
    try:
        mail.send_mail(delivery.title, text, settings.DEFAULT_FROM_EMAIL, channel.recipient_list)
    except (OSError, mail.BadHeaderError) as error:  # smtplib's errors are OSErrors
        raise SendFailed(f"the mail server refused it: {error}") from None
