"""Each delivery is claimed by one worker, sent with a short timeout, and on failure tried again later with
back-off (never by sleeping in a worker), until NOTIFY_MAX_ATTEMPTS; then it is failed, with the last error."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .models import Delivery
from .sending import SendFailed, send

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)  # a claimed delivery whose worker went silent is due again after this


def claim(pk, now=None):
    now = now or timezone.now()
    due = Q(status=Delivery.PENDING) | Q(status=Delivery.SENDING)
    return bool(
        Delivery.objects.filter(due, pk=pk, next_attempt_at__lte=now).update(
            status=Delivery.SENDING, next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    )


def due(now=None, limit=100):
    now = now or timezone.now()
    waiting = Delivery.objects.filter(status__in=(Delivery.PENDING, Delivery.SENDING), next_attempt_at__lte=now)
    return list(waiting.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def attempt(pk):
    """Send it if this worker wins the claim; True when sent."""
    if not claim(pk):
        return False
    delivery = Delivery.objects.select_related("channel").get(pk=pk)
    try:
        send(delivery)
    except SendFailed as failure:
        _failed(delivery, str(failure))
        return False
    except Exception as error:  # a bug or a broken setting: counted as a failed try, never retried without end
        log.exception("notification %s could not be sent", pk)
        _failed(delivery, f"could not send it ({type(error).__name__}); the worker's log has the details")
        return False
    Delivery.objects.filter(pk=pk).update(status=Delivery.SENT, sent_at=timezone.now(), last_error="")
    return True


def _failed(delivery, error):
    if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.FAILED, last_error=error[:500])
        return
    wait = settings.NOTIFY_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.PENDING, last_error=error[:500], next_attempt_at=timezone.now() + timedelta(seconds=wait)
    )
