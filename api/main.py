"""The API: django-ninja, token auth on every operation, a rate limit per token, JSON errors, and its OpenAPI
document at /api/schema with a browsable page at /api/docs."""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from . import errors
from .auth import TokenAuth
from .calls import audited
from .routers import actions, history, targets
from .throttling import PerTokenThrottle

DESCRIPTION = """The release console and the audit history as JSON.

Every call sends a personal token (make one under *API tokens* in your menu): `Authorization: Bearer bgd_…`.
A read-only token reads; an operate token also requests actions. A token never does more than its owner may do.
Calls are limited per token and per minute (429, with Retry-After); every call is in the audit history, under the
token owner's name, with the token's name."""

api = NinjaAPI(
    title="Blue/green dashboard API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    throttle=PerTokenThrottle(),
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
)
errors.install(api)
for router in (targets.router, actions.router, history.router):
    api.add_router("/", router)


def signed_in_or_token(view):
    """The OpenAPI document: for a signed-in user (the browsable page reads it) or a caller with a token (tools)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_authenticated:
            try:
                TokenAuth()(request)
            except AuthenticationError as refused:
                return JsonResponse({"detail": refused.message}, status=401)
        return view(request, *args, **kwargs)

    return checked


PAGES = ("openapi-view", "api-root")  # the browsable page, and /api/ (ninja's 404 naming it)


def urls():
    """The API's URLs. Its operations authenticate by token, not by the session, so the site's sign-in redirect
    is off for them, and each call is audited; the browsable page is a page (sign-in), its document either."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.name == "openapi-json":
            pattern.callback = login_not_required(signed_in_or_token(pattern.callback))
        elif isinstance(pattern, URLPattern) and pattern.name not in PAGES:
            pattern.callback = login_not_required(audited(pattern.callback))
    return patterns, app_name, namespace
