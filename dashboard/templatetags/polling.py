"""How often polled fragments ask again, from settings: hx-trigger="every {% job_poll_every %}", and whether a
worker is there to do what they wait for."""

from django import template
from django.conf import settings

from dashboard.models import WorkerHeartbeat

register = template.Library()


def _every(seconds):
    return f"{seconds:g}s"


@register.simple_tag
def job_poll_every():
    """For the line of an unfinished job (a wizard step, an operator action, a check, a tracking request)."""
    return _every(settings.JOB_POLL_SECONDS)


@register.simple_tag
def summary_poll_every():
    """For the table of release targets."""
    return _every(settings.RELEASES_SUMMARY_POLL_SECONDS)


@register.simple_tag
def worker_heartbeat():
    """The workers' last heartbeat (None before the first): `{% worker_heartbeat as beat %}`, `beat.is_stale`."""
    return WorkerHeartbeat.latest()
