from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import connections, events
from .forms import AwsConnectionForm
from .jobs import job_fragment, start_job
from .models import AwsConnection, ConnectionCheck, WorkerHeartbeat
from .roles import ADMIN, OPERATOR, VIEWER, role_required


@require_GET
@role_required(VIEWER)
def overview(request):
    heartbeat = WorkerHeartbeat.latest()
    return render(
        request,
        "dashboard/overview.html",
        {
            "check": ConnectionCheck.objects.filter(aws_connection=None).first(),
            "connections": AwsConnection.objects.all(),
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
        profile=settings.AWS_PROFILE,
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


@require_GET
@role_required(VIEWER)
def connection_list(request):
    return render(request, "dashboard/connections.html", _connections_context(AwsConnectionForm()))


def _connections_context(form):
    listed = list(AwsConnection.objects.all())
    for connection in listed:
        connection.check = connection.latest_check()
    return {"connections": listed, "form": form}


@require_POST
@role_required(ADMIN)
def connection_create(request):
    form = AwsConnectionForm(request.POST)
    if not form.is_valid():
        return render(request, "dashboard/connections.html", _connections_context(form))  # as typed, with why
    connection = connections.add(request, form)
    messages.success(request, f"Connection {connection.name} added; its check is running.")
    return redirect("connections")


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def connection_edit(request, pk):
    connection = get_object_or_404(AwsConnection, pk=pk)
    form = AwsConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        connection, changed = connections.change(request, form)
        if changed:
            messages.success(
                request, f"Connection {connection.name} changed ({', '.join(changed)}); its check is running."
            )
        else:
            messages.info(request, "Nothing changed.")
        return redirect("connections")
    return render(request, "dashboard/connection_edit.html", {"form": form, "connection": connection})


@require_POST
@role_required(OPERATOR)
def connection_recheck(request, pk):
    connection = get_object_or_404(AwsConnection, pk=pk)
    connection.check = connections.check(request, connection)
    if request.htmx:
        return render(request, "dashboard/connections.html#check", {"connection": connection})
    return redirect("connections")


@require_GET
@role_required(VIEWER)
def connection_check_status(request, pk):
    check = get_object_or_404(ConnectionCheck.objects.select_related("aws_connection"), pk=pk)
    connection = check.aws_connection
    if connection is None:
        return redirect("connections")
    connection.check = check
    return job_fragment(request, "dashboard/connections.html#check", {"connection": connection}, check)


@require_POST
@role_required(ADMIN)
def connection_delete(request, pk):
    connection = get_object_or_404(AwsConnection, pk=pk)
    users = connections.users(connection)
    if users:
        messages.error(request, f"{connection.name} is still used by {', '.join(users)}: untrack or tear down first.")
    else:
        connections.remove(request, connection)
        messages.success(request, f"Connection {connection.name} removed.")
    return redirect("connections")
