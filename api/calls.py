"""The audit of API calls: each call made with a token is an `api.call` event (its owner as the actor, the token's
name in params), unless the call's own change wrote its event already (a requested action)."""

from django.conf import settings

from dashboard import events
from dashboard.audit import AuditEvent, record

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def audit_call(request, response):
    if getattr(request, "api_token", None) is None or getattr(request, "api_audited", False):
        return  # no usable token (nothing was done), or audited in full by what it changed
    if request.method in SAFE_METHODS and not settings.API_AUDIT_READS:
        return
    record(
        events.API_CALL,
        outcome=AuditEvent.SUCCEEDED if response.status_code < 400 else AuditEvent.FAILED,
        request=request,
        target_type="api",
        target_id=request.path,
        params={"method": request.method, "path": request.get_full_path()[:512], "status": response.status_code},
    )


def audited(view):
    """A view whose every call is audited after it answered (its status is part of the record)."""

    def audited_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        audit_call(request, response)
        return response

    audited_view.__dict__.update(view.__dict__)  # csrf_exempt and the like
    return audited_view
