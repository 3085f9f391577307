"""Single sign-on with OpenID Connect (mozilla-django-oidc), on when OIDC_ISSUER is set.

The provider's endpoints come from its discovery document, read at the first single sign-on (never at a password
sign-in, so a provider that is down does not lock out the break-glass accounts). The role comes from the groups
claim at every sign-in: the highest role one of the user's groups maps to, and no role at all refuses the sign-in.
"""

import functools
import logging

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.views import LoginView
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import redirect
from django.views import View
from mozilla_django_oidc import views as oidc_views
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from .roles import ROLES

log = logging.getLogger(__name__)

ENDPOINTS = {  # mozilla-django-oidc's setting → the discovery document's field
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def enabled():
    return bool(settings.OIDC_ISSUER)


@functools.cache
def discovery(issuer):
    """The provider's OpenID configuration; kept for the life of the process once read (a failure is not kept)."""
    answer = requests.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration", timeout=10)
    answer.raise_for_status()
    document = answer.json()
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        said = document.get("issuer")
        raise ImproperlyConfigured(f"OIDC_ISSUER is {issuer} but the provider says its issuer is {said}")
    return document


def setting(attr, *default):
    """mozilla-django-oidc's settings, with the endpoints discovered from OIDC_ISSUER unless set explicitly."""
    if attr in ENDPOINTS and not getattr(settings, attr, None):
        return discovery(settings.OIDC_ISSUER)[ENDPOINTS[attr]]
    return import_from_settings(attr, *default)


def role_from(claims):
    """The highest role the claims' groups map to, or None."""
    groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    held = [role for role in ROLES if set(settings.OIDC_ROLE_GROUPS.get(role, ())) & set(groups)]
    return held[-1] if held else None


class GroupRoleBackend(OIDCAuthenticationBackend):
    """Finds or creates the user named by the username claim and gives it the role its groups map to."""

    get_settings = staticmethod(setting)

    def __init__(self, *args, **kwargs):  # the parent reads every endpoint here, i.e. at every password sign-in
        self.UserModel = get_user_model()
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)

    def authenticate(self, request, **kwargs):
        if not enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (requests.RequestException, ValueError, KeyError, ImproperlyConfigured) as error:
            self.request = request
            log.warning("single sign-on: the provider's answer failed: %s", error)
            return self._refuse(f"the identity provider did not answer as expected ({type(error).__name__})")

    def username(self, claims):
        return str(claims.get(settings.OIDC_USERNAME_CLAIM) or "")[:150]

    def verify_claims(self, claims):
        if not self.username(claims):
            return self._refuse(f"the provider sent no {settings.OIDC_USERNAME_CLAIM} claim")
        if role_from(claims) is None:
            return self._refuse("none of your groups at the identity provider gives a role here; ask an admin")
        return True

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=self.username(claims))

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(self.username(claims), email=claims.get("email") or "")
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        if user.has_usable_password():  # a local account: the provider may not take it over by naming it
            return self._refuse(f"{user.get_username()} is a local account here; sign in with its password")
        if not user.is_active:
            return self._refuse(f"{user.get_username()} is deactivated here")
        role = role_from(claims)
        if {group.name for group in user.groups.all()} != {role}:
            user.roles_from = "identity provider"  # the audit's actor for the role change (signals.py)
            user.groups.set([Group.objects.get(name=role)])
        return user

    def _refuse(self, reason):
        log.info("single sign-on refused: %s", reason)
        if getattr(self, "request", None) is not None:
            self.request.sso_refusal = reason
        return None


class StartView(oidc_views.OIDCAuthenticationRequestView):
    """Sends the browser to the provider; the endpoint is discovered here, not when the view is made."""

    get_settings = staticmethod(setting)

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)

    def get(self, request):
        if not enabled():
            messages.error(request, "Single sign-on is not set up here.")
            return redirect("login")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, KeyError, ImproperlyConfigured) as error:
            log.warning("single sign-on: discovery at %s failed: %s", settings.OIDC_ISSUER, error)
            messages.error(
                request, f"The identity provider at {settings.OIDC_ISSUER} did not answer ({type(error).__name__})."
            )
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    get_settings = staticmethod(setting)

    def login_failure(self):
        reason = getattr(self.request, "sso_refusal", "") or "the identity provider did not confirm who you are"
        messages.error(self.request, f"Single sign-on did not sign you in: {reason}.")
        return super().login_failure()


class SignInView(LoginView):
    """The sign-in page: the single sign-on button when it is set up, and the password form unless local accounts
    are turned off."""

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_name": settings.OIDC_PROVIDER_NAME if enabled() else "",
            "local_sign_in": settings.LOCAL_SIGN_IN,
        }

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_SIGN_IN:
            messages.error(request, "Sign-in with a password is turned off here; use single sign-on.")
            return redirect("login")
        return super().post(request, *args, **kwargs)
