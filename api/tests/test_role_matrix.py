"""Who may call what: anonymous, read-only, operate (of an operator and of a viewer), revoked and expired tokens,
against every endpoint of the API."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api.main import PAGES
from api.models import ApiToken
from api.tests.conftest import bearer, make_token
from conftest import make_user
from dashboard.audit import AuditEvent
from releases.models import FourEyesRequest, OperatorAction, ReleaseTarget

READ, OPERATE = "viewer", "operator"
# (url name, method) → the least role a token must act with.
ENDPOINTS = {
    ("targets", "GET"): READ,
    ("target", "GET"): READ,
    ("offers", "GET"): READ,
    ("request-action", "POST"): OPERATE,
    ("action", "GET"): READ,
    ("four-eyes-list", "GET"): READ,
    ("four-eyes", "GET"): READ,
    ("four-eyes-answer", "POST"): OPERATE,
    ("history", "GET"): READ,
    ("history-export", "GET"): READ,
    ("openapi-json", "GET"): READ,
}
# caller → what its token acts as (None: refused before any role is asked, 401)
CALLERS = {
    "anonymous": None,
    "read-only token": READ,
    "operate token": OPERATE,
    "operate token of a viewer": READ,
    "revoked token": None,
    "expired token": None,
}


def api_endpoints(patterns=None):
    """The names of the API's operations (its pages, the browsable one and /api/, are for people signed in)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "api":
                return {p.name for p in pattern.url_patterns if isinstance(p, URLPattern)} - set(PAGES)
            if found := api_endpoints(pattern.url_patterns):
                return found
    return set()


def test_every_endpoint_is_in_the_matrix():
    assert api_endpoints() == {name for name, _ in ENDPOINTS}


@pytest.fixture
def world(db):
    target = ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")
    owner = make_user("otto-operator", "operator")
    action = OperatorAction.objects.create(target=target, kind="reroute", reason="r", status="confirmed")
    asked = FourEyesRequest.objects.create(
        target=target,
        kind="reroute",
        reason="r",
        requested_by=make_user("olga-operator", "operator"),
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    return {"target": target, "owner": owner, "action": action, "asked": asked}


def secret_for(caller, owner):
    if caller == "anonymous":
        return None
    if caller == "operate token of a viewer":
        return make_token(make_user("vera-viewer", "viewer"), ApiToken.OPERATE)[1]
    scope = ApiToken.READ if caller == "read-only token" else ApiToken.OPERATE
    token, secret = make_token(owner, scope)
    if caller == "revoked token":
        token.revoke()
    if caller == "expired token":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return secret


def url_of(name, world):
    kwargs = {
        "target": {"pk": world["target"].pk},
        "offers": {"pk": world["target"].pk},
        "request-action": {"pk": world["target"].pk, "kind": "release_change"},
        "action": {"pk": world["action"].pk},
        "four-eyes-list": {"pk": world["target"].pk},
        "four-eyes": {"pk": world["asked"].pk},
        "four-eyes-answer": {"pk": world["asked"].pk, "answer": "decline"},
    }.get(name)
    return reverse(f"api:{name}", kwargs=kwargs)


@pytest.mark.parametrize("caller", sorted(CALLERS))
@pytest.mark.parametrize(("name", "method"), sorted(ENDPOINTS))
def test_role_matrix(name, method, caller, client, world):
    secret = secret_for(caller, world["owner"])
    headers = bearer(secret) if secret else {}
    url = url_of(name, world)
    if method == "POST":
        response = client.post(url, {"reason": "ship it"}, content_type="application/json", headers=headers)
    else:
        response = client.get(url, headers=headers)

    acts_as, needed = CALLERS[caller], ENDPOINTS[(name, method)]
    if acts_as is None:
        assert response.status_code == 401, response.content
        assert response.json()["detail"]
    elif acts_as == READ and needed == OPERATE:
        assert response.status_code == 403
        assert "needs the operator role" in response.json()["detail"]
        assert not OperatorAction.objects.filter(kind="release_change").exists()
    else:
        assert response.status_code == (202 if name == "request-action" else 200), response.content
    if method == "POST" and acts_as is not None:  # refused or not, the call is in the audit under the token's name
        event = AuditEvent.objects.filter(params__api_token__isnull=False).latest("id")
        assert event.params["api_token"] and event.actor_name in ("otto-operator", "vera-viewer")


def test_a_signed_in_session_without_a_token_is_not_an_api_caller(client, world):
    client.force_login(world["owner"])
    response = client.post(url_of("request-action", world), {"reason": "ship it"}, content_type="application/json")
    assert response.status_code == 401
    assert client.get(url_of("targets", world)).status_code == 401
    assert not OperatorAction.objects.filter(kind="release_change").exists()
