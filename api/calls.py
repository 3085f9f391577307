"""The audit of API calls: each call made with a token is an `api.call` event (its owner as the actor, the token's
name in params), unless the call's own change wrote its event already (a requested action).

Reads are audited each (API_AUDIT_READS=1) or, by default, by the first read of each token in each minute: every
audited read takes the audit chain's one-row lock, and bench/api_latency.py shows that at 200 reads a second they
queue behind it for seconds."""

import time

from django.conf import settings
from django.core.cache import cache

from dashboard import events
from dashboard.audit import AuditEvent, record

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
clock = time.time


def audit_call(request, response):
    token = getattr(request, "api_token", None)
    if token is None or getattr(request, "api_audited", False):
        return  # no usable token (nothing was done), or audited in full by what it changed
    params = {"method": request.method, "path": request.get_full_path()[:512], "status": response.status_code}
    if request.method in SAFE_METHODS and not settings.API_AUDIT_READS:
        minute = int(clock() // 60)
        if not cache.add(f"api-read-audited:{token.key_hash[:24]}:{minute}", 1, timeout=120):
            return  # this token's reads of this minute are in the audit already, by their first
        params["first_read_of_minute"] = True
    record(
        events.API_CALL,
        outcome=AuditEvent.SUCCEEDED if response.status_code < 400 else AuditEvent.FAILED,
        request=request,
        target_type="api",
        target_id=request.path,
        params=params,
    )


def audited(view):
    """A view whose every call is audited after it answered (its status is part of the record)."""

    def audited_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        audit_call(request, response)
        return response

    audited_view.__dict__.update(view.__dict__)  # csrf_exempt and the like
    return audited_view
