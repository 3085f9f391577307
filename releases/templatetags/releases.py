"""Small display filters of the release console, and the overview card."""

import time
from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from dashboard.events import LABELS
from releases import clocks, freezes, gone, service_deployments
from releases.models import Deployment, Execution
from releases.web import display

register = template.Library()

GOOD = {"Succeeded", "succeeded", "confirmed", "passed", "SUCCESSFUL", "SUCCEEDED"}
BAD = {"Failed", "Stopped", "Abandoned", "failed", "rejected", "timed_out", "Cancelled", *service_deployments.FINISHED}
BAD -= {"SUCCESSFUL"}
BAD |= {"FAILED", "TIMED_OUT"}
BUSY = {*Deployment.ACTIVE, *Execution.ACTIVE, "requested", "sent", "pending", "running"}
BUSY |= {*service_deployments.ACTIVE, "AWAITING_ACTION"}


@register.filter
def status_class(status):
    if status in GOOD:
        return "ok"
    if status in BAD:
        return "bad"
    if status in BUSY:
        return "busy"
    return ""


@register.filter
def iso_time(value, target=None):
    """An ISO 8601 time stored in JSON, shown as local HH:MM:SS; with a target, an AWS time read on the
    dashboard's clock."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if target is not None:
        moment = dashboard_clock(moment, target)
    return timezone.localtime(moment).strftime("%H:%M:%S")


@register.filter
def revision(task_definition_arn):
    """arn:aws:ecs:…:task-definition/ecs-demo:3 → ecs-demo:3"""
    return (task_definition_arn or "").rsplit("/", 1)[-1]


@register.filter
def short_image(uri):
    """123456789012.dkr.ecr.us-east-1.amazonaws.com/nginx@sha256:0292175314b7… → nginx@sha256:0292175314b7"""
    name = (uri or "").rsplit("/", 1)[-1]
    if "@sha256:" in name:
        repository, digest = name.split("@sha256:", 1)
        return f"{repository}@sha256:{digest[:12]}"
    return name


@register.filter
def duration_seconds(seconds):
    return duration(timedelta(seconds=seconds)) if seconds is not None else ""


@register.filter
def duration(delta):
    """A duration as people read it; never negative (two AWS times rounded apart can be)."""
    if delta is None:
        return ""
    total = max(0, int(delta.total_seconds()))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


@register.filter
def dashboard_clock(aws_time, target):
    """An AWS time (a deadline, a step of the release) as the dashboard's clock reads that moment: AWS's clock
    differs from ours, by the offset the last refresh measured (see releases/clocks.py)."""
    return clocks.on_dashboard_clock(aws_time, getattr(target, "aws_clock_offset", 0))


@register.filter
def deadline_time(moment):
    """18:21 for a deadline within a day, Mon 18:21 for a later one (a manual approval waits up to 7 days)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return local.strftime("%H:%M") if moment - timezone.now() < timedelta(days=1) else local.strftime("%a %H:%M")


@register.filter
def countdown(deadline):
    """ "in 4 min 10 s" until a deadline on the dashboard's clock; "now" once it has passed, never negative."""
    if deadline is None:
        return ""
    left = (deadline - timezone.now()).total_seconds()
    return f"in {duration(timedelta(seconds=left))}" if left >= 1 else "now"


@register.simple_tag
def now_ms():
    """The dashboard's clock as the page is drawn, in milliseconds: a countdown corrects the browser's clock by it."""
    return int(time.time() * 1000)


@register.filter
def event_label(action):
    return LABELS.get(action, action)


@register.filter
def freeze_text(freeze):
    return freezes.describe(freeze)


@register.inclusion_tag("releases/summary.html", takes_context=True)
def release_targets_card(context):
    """The overview's card: every tracked target at a glance (polls its own fragment)."""
    return {"groups": display.grouped_summaries(), "etag": display.summary_etag(), "request": context.get("request")}


@register.filter
def gone_from_aws(target):
    """What is gone from AWS and the way back (releases/gone.py), or None (also for no target)."""
    return gone.describe(target) if target else None
