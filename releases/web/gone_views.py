"""Untracking a release target: the way out offered when what it tracks is gone from AWS (gone.py)."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from dashboard import events
from dashboard.audit import AuditEvent, record
from dashboard.roles import ADMIN, role_required
from releases.models import ReleaseTarget


@require_POST
@role_required(ADMIN)
def untrack(request, pk):
    target = get_object_or_404(ReleaseTarget, pk=pk)
    with transaction.atomic():
        record(
            events.TARGET_UNTRACKED,
            outcome=AuditEvent.SUCCEEDED,
            request=request,
            target_type="pipeline",
            target_id=target.pipeline_name,
            scope=target.name,
            params={"gone_code": target.gone_code} if target.gone_code else {},
        )
        target.delete()
    messages.success(request, f"Stopped tracking {target.name}; its history stays in the audit log.")
    return redirect("overview")
