"""Adding, changing, checking and removing the AWS connections admins define (the Connections page)."""

from django.db import transaction

from . import events
from .audit import AuditEvent, record
from .jobs import job_models, start_job
from .models import AwsConnection, ConnectionCheck

HEALTH_FIELDS = ("account", "arn", "succeeded_at", "failed_at", "error_code", "error_message")


def add(request, form):
    with transaction.atomic():
        connection = form.save(commit=False)
        connection.created_by = request.user
        connection.save()
        _audit(request, events.CONNECTION_ADDED, connection)
        check(request, connection)
    return connection


def change(request, form):
    """Save an edited connection: its health is forgotten (it was the old credentials'), the change audited with
    each field's before and after, and a check queued at once."""
    before = AwsConnection.objects.get(pk=form.instance.pk)
    with transaction.atomic():
        connection = form.save(commit=False)
        changed = {
            field: [getattr(before, field), getattr(connection, field)]
            for field in form.Meta.fields
            if getattr(before, field) != getattr(connection, field)
        }
        if not changed:
            return connection, changed
        for field in HEALTH_FIELDS:
            setattr(connection, field, None if field.endswith("_at") else "")
        connection.save()
        record(
            events.CONNECTION_CHANGED,
            outcome=AuditEvent.SUCCEEDED,
            request=request,
            target_type="aws_connection",
            target_id=connection.name,
            params={"changed": changed, **({"renamed_from": before.name} if "name" in changed else {})},
        )
        check(request, connection)
    return connection, changed


def check(request, connection):
    """Queue a check of who the connection signs in as and what it may do (dashboard.tasks.check_connection)."""
    return start_job(
        request,
        ConnectionCheck,
        events.CONNECTION_CHECK,
        region=connection.region,
        aws_connection=connection,
        endpoint_url=connection.as_aws().endpoint_url,
        params={"connection": connection.name},
    )


def users(connection):
    """What still needs the connection: the targets and setups that use it, and its unfinished jobs."""
    found = [f"target {name}" for name in connection.targets.values_list("name", flat=True)]
    found += [f"setup {name}" for name in connection.setups.values_list("name", flat=True)]
    for model in job_models():
        if model.objects.filter(aws_connection=connection, status__in=model.open_statuses()).exists():
            found.append(f"an unfinished {model._meta.verbose_name}")
    return found


def remove(request, connection):
    """Forget the connection (refused while anything uses it); finished jobs keep their history in the audit."""
    with transaction.atomic():
        for model in job_models():
            model.objects.filter(aws_connection=connection).update(aws_connection=None)
        _audit(request, events.CONNECTION_REMOVED, connection)
        connection.delete()


def _audit(request, action, connection):
    params = {"region": connection.region, "credentials": connection.credentials}
    if connection.role_arn:
        params["role_arn"] = connection.role_arn
    record(
        action,
        outcome=AuditEvent.SUCCEEDED,
        request=request,
        target_type="aws_connection",
        target_id=connection.name,
        params=params,
    )
