"""Who calls: a personal token in `Authorization: Bearer …`, acting as its owner with at most its scope's role."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from dashboard.roles import ROLES

from .models import ApiToken


class TokenAuth(HttpBearer):
    def __call__(self, request):
        # Not HttpBearer's own: it logs the whole header, the secret included, in DEBUG.
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationError(message="Send a personal API token: Authorization: Bearer <token>.")
        return self.authenticate(request, secret.strip())

    def authenticate(self, request, token):
        found = ApiToken.find(token)
        if found is None:
            raise AuthenticationError(message="This token is unknown, revoked or expired.")
        found.mark_used(settings.API_LAST_USED_SECONDS)
        request.user = found.owner  # the token acts as its owner: roles, audit, the action's requester
        request.api_token = found
        return found


def require(request, role):
    """403 unless the call's token may act with `role` (its scope, capped by its owner's role now)."""
    held = request.auth.role
    if held is None or ROLES.index(held) < ROLES.index(role):
        scope = request.auth.get_scope_display().lower()
        raise PermissionDenied(
            f"This needs the {role} role; this {scope} token acts as a {held or 'user with no role'}."
        )
