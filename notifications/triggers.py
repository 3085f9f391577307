"""Deliveries are made where what they tell of is recorded: an audit event of the pollers (in its transaction, so
they exist exactly when the event does), or a deadline that beat finds near."""

from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from dashboard.audit import AuditEvent
from releases import clocks
from releases.models import Deployment, ReleaseTarget

from . import kinds
from .models import Channel, Delivery

DELIVER = "notifications.tasks.deliver"


@receiver(post_save, sender=AuditEvent)
def notify_of_event(sender, instance, created, **kwargs):
    told = created and kinds.from_audit_event(instance)
    if told:
        kind, key, title = told
        notify(kind, key, title, scope=instance.scope, release=instance.params.get("execution_id", ""))


def notify(kind, key, title, *, scope="", release="", channels=None):
    """One delivery per channel that wants `kind` and has none for `key` yet; each is sent once this commits."""
    made, link = [], link_to(scope, release)
    for channel in channels if channels is not None else Channel.objects.all():
        if not channel.wants(kind):
            continue
        try:
            with transaction.atomic():  # a savepoint: a delivery made already for this key is not an error
                delivery = Delivery.objects.create(
                    channel=channel,
                    key=key,
                    kind=kind,
                    scope=scope,
                    title=title[:300],
                    link=link,
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:
            continue
        made.append(delivery.pk)
    if made:
        transaction.on_commit(lambda: [current_app.send_task(DELIVER, args=(pk,)) for pk in made])
    return made


def link_to(scope, release=""):
    """The console of the release target named `scope` (at the release, if known), else the history."""
    target = ReleaseTarget.objects.filter(name=scope).first() if scope else None
    path = target.get_absolute_url() if target else reverse("history")
    if target and release:
        path += f"?release={release}"
    return settings.PUBLIC_URL.rstrip("/") + path


def notify_of_deadlines(now=None):
    """Waits that end within NOTIFY_SOON_MINUTES, on the dashboard's clock (AWS stamps them on its own)."""
    now = now or timezone.now()
    soon = timedelta(minutes=settings.NOTIFY_SOON_MINUTES)
    waiting = Deployment.objects.filter(status__in=("Ready", "InProgress")).select_related("target")
    for deployment in waiting:
        target = deployment.target
        for kind, ends_at, then in (
            (kinds.READY_WAIT_ENDING, deployment.is_ready_wait and deployment.ready_wait_ends_at, "the wait ends"),
            (
                kinds.TERMINATION_WAIT_ENDING,
                deployment.is_termination_wait and deployment.termination_wait_ends_at,
                "the original task set is terminated",
            ),
        ):
            if not ends_at:
                continue
            ends = clocks.on_dashboard_clock(ends_at, target.aws_clock_offset)
            if now < ends <= now + soon:
                at = timezone.localtime(ends).strftime("%H:%M")
                title = f"{target.name}: deployment {deployment.deployment_id}: {then} at {at}"
                notify(kind, f"{kind}:{deployment.deployment_id}", title, scope=target.name)
