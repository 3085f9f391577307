from django.conf import settings
from django.db import transaction

from . import events
from .audit import AuditEvent, record
from .models import ConnectionCheck
from .tasks import check_connection


def request_connection_check(request):
    """Queue a check of who the dashboard is in AWS; the worker runs it once this transaction commits."""
    with transaction.atomic():
        check = ConnectionCheck.objects.create(
            requested_by=request.user, region=settings.AWS_REGION, endpoint_url=settings.AWS_ENDPOINT_URL
        )
        record(
            events.CONNECTION_CHECK,
            outcome=AuditEvent.REQUESTED,
            request=request,
            target_type="connection_check",
            target_id=check.pk,
        )
        transaction.on_commit(lambda: check_connection.delay(check.pk))
    return check
