from datetime import timedelta

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from . import services
from .models import ConnectionCheck, WorkerHeartbeat
from .roles import OPERATOR, VIEWER, role_required

HEARTBEAT_STALE_AFTER = timedelta(seconds=60)


@require_GET
@role_required(VIEWER)
def overview(request):
    heartbeat = WorkerHeartbeat.objects.filter(name="worker").first()
    return render(
        request,
        "dashboard/overview.html",
        {
            "check": ConnectionCheck.objects.first(),
            "heartbeat": heartbeat,
            "worker_stale": heartbeat is None or timezone.now() - heartbeat.seen_at > HEARTBEAT_STALE_AFTER,
        },
    )


@require_POST
@role_required(OPERATOR)
def connection_check_create(request):
    check = services.request_connection_check(request)
    if request.htmx:
        return render(request, "dashboard/overview.html#connection-check", {"check": check})
    return redirect("overview")


@require_GET
@role_required(VIEWER)
def connection_check_detail(request, pk):
    check = get_object_or_404(ConnectionCheck, pk=pk)
    response = render(request, "dashboard/overview.html#connection-check", {"check": check})
    if check.is_finished and request.htmx:
        response.status_code = HttpResponseStopPolling.status_code
    return response
