from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import events
from .jobs import job_fragment, start_job
from .models import ConnectionCheck, WorkerHeartbeat
from .roles import OPERATOR, VIEWER, role_required


@require_GET
@role_required(VIEWER)
def overview(request):
    heartbeat = WorkerHeartbeat.latest()
    return render(
        request,
        "dashboard/overview.html",
        {
            "check": ConnectionCheck.objects.first(),
            "heartbeat": heartbeat,
            "worker_stale": heartbeat is None or heartbeat.is_stale,
        },
    )


@require_POST
@role_required(OPERATOR)
def connection_check_create(request):
    check = start_job(
        request,
        ConnectionCheck,
        events.CONNECTION_CHECK,
        region=settings.AWS_REGION,
        endpoint_url=settings.AWS_ENDPOINT_URL,
    )
    if request.htmx:
        return render(request, "dashboard/overview.html#connection-check", {"check": check})
    return redirect("overview")


@require_GET
@role_required(VIEWER)
def connection_check_detail(request, pk):
    check = get_object_or_404(ConnectionCheck, pk=pk)
    return job_fragment(request, "dashboard/overview.html#connection-check", {"check": check}, check)
