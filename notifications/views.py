"""The notification settings: channels, a test send each, and what was sent. Admins only."""

import uuid

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from dashboard import events
from dashboard.audit import AuditEvent, record
from dashboard.env import env_str
from dashboard.jobs import job_fragment
from dashboard.roles import ADMIN, role_required

from . import kinds, triggers
from .forms import ChannelForm
from .models import Channel, Delivery


@require_GET
@role_required(ADMIN)
def index(request):
    return render(request, "notifications/index.html", _context(ChannelForm()))


def _context(form):
    recent = Prefetch("deliveries", Delivery.objects.all()[:10], to_attr="recent")
    channels = list(Channel.objects.prefetch_related(recent))
    for channel in channels:
        channel.unset = [name for name in (channel.url_variable, channel.secret_variable) if name and not _is_set(name)]
    return {"channels": channels, "form": form}


@require_POST
@role_required(ADMIN)
def create(request):
    form = ChannelForm(request.POST)
    if not form.is_valid():
        return render(request, "notifications/index.html", _context(form))  # the form again, as typed
    channel = form.save(commit=False)
    channel.created_by = request.user
    channel.save()
    _audit(request, events.NOTIFY_CHANNEL_ADDED, channel, {"kind": channel.kind, "events": channel.events})
    messages.success(request, f"Channel {channel.name} added. Send a test to see that it arrives.")
    return redirect("notifications")


@require_POST
@role_required(ADMIN)
def delete(request, pk):
    channel = get_object_or_404(Channel, pk=pk)
    _audit(request, events.NOTIFY_CHANNEL_REMOVED, channel, {"kind": channel.kind})
    channel.delete()
    messages.success(request, f"Channel {channel.name} removed.")
    return redirect("notifications")


@require_POST
@role_required(ADMIN)
def test(request, pk):
    channel = get_object_or_404(Channel, pk=pk)
    title = f"A test from the blue/green dashboard, sent by {request.user.get_username()}"
    made = triggers.notify(kinds.TEST, f"{kinds.TEST}:{uuid.uuid4()}", title, channels=[channel])
    delivery = Delivery.objects.get(pk=made[0])
    return render(request, "notifications/index.html#delivery", {"delivery": delivery, "poll": True})


@require_GET
@role_required(ADMIN)
def delivery_status(request, pk):
    delivery = get_object_or_404(Delivery, pk=pk)
    return job_fragment(request, "notifications/index.html#delivery", {"delivery": delivery, "poll": True}, delivery)


def _is_set(name):
    try:
        return bool(env_str(name))
    except ImproperlyConfigured:  # NAME and NAME_FILE both set, or a file that cannot be read
        return False


def _audit(request, action, channel, params):
    record(
        action,
        outcome=AuditEvent.SUCCEEDED,
        request=request,
        target_type="channel",
        target_id=channel.name,
        params=params,
    )
