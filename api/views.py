"""The API tokens page: its owner makes a token (its secret shown this once) and revokes it."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dashboard import events
from dashboard.audit import AuditEvent, record
from dashboard.roles import VIEWER, role_required

from .forms import TokenForm
from .models import ApiToken


def _page(request, form, secret=None):
    tokens = request.user.api_tokens.all()
    context = {"form": form, "tokens": tokens, "secret": secret}
    response = render(request, "api/tokens.html", context)
    response["Cache-Control"] = "no-store"  # the page may hold a secret: never kept by the browser or a proxy
    return response


def _audit(request, action, token, **params):
    record(
        action,
        outcome=AuditEvent.SUCCEEDED,
        request=request,
        target_type="api_token",
        target_id=token.pk,
        params={"name": token.name, **params},
    )


@require_http_methods(["GET", "POST"])
@role_required(VIEWER)
def tokens(request):
    if request.method == "GET":
        return _page(request, TokenForm(owner=request.user))
    form = TokenForm(request.POST, owner=request.user)
    if not form.is_valid():
        return _page(request, form)
    with transaction.atomic():
        token, secret = ApiToken.issue(
            request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"], expires_at=form.expires_at()
        )
        _audit(request, events.API_TOKEN_CREATED, token, scope=token.scope, expires_at=token.expires_at.isoformat())
    # Rendered, not redirected: the secret lives in this one answer and nowhere else.
    return _page(request, TokenForm(owner=request.user), secret={"token": token, "value": secret})


@require_POST
@role_required(VIEWER)
def revoke(request, pk):
    token = ApiToken.objects.filter(pk=pk, owner=request.user).first()  # someone else's is not found either
    if token is None:
        messages.error(request, "No such token of yours.")
        return redirect("api-tokens")
    with transaction.atomic():
        if token.revoke():
            _audit(request, events.API_TOKEN_REVOKED, token)
    messages.success(request, f"“{token.name}” is revoked: it no longer works.")
    return redirect("api-tokens")
