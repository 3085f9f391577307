"""Personal tokens: stored as a hash, acting as their owner with at most the owner's role, expiring, revocable,
their last use kept, and limited in calls per minute."""

from datetime import timedelta

from django.utils import timezone

from api import calls, throttling
from api.models import ApiToken, digest
from api.tests.conftest import bearer, make_token
from conftest import make_user
from dashboard.audit import AuditEvent


def test_a_token_is_kept_as_a_hash_only(operator):
    token, secret = make_token(operator)
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert secret.startswith("bgd_") and len(secret) > 40
    assert stored["key_hash"] == digest(secret)
    assert secret not in {str(value) for value in stored.values()}
    assert stored["hint"] == secret[:10]


def test_a_token_acts_with_at_most_its_owners_role(operator, viewer):
    assert make_token(operator, ApiToken.OPERATE)[0].role == "operator"
    assert make_token(operator, ApiToken.READ, name="r")[0].role == "viewer"
    assert make_token(viewer, ApiToken.OPERATE)[0].role == "viewer"
    admin = make_user("ada-admin", "admin")
    assert make_token(admin, ApiToken.OPERATE)[0].role == "operator"  # the API has no admin endpoints
    nobody = make_user("nora-nobody", None)
    assert make_token(nobody, ApiToken.OPERATE)[0].role is None


def test_an_owner_who_loses_a_role_takes_it_from_their_tokens(client, operator):
    token, secret = make_token(operator)
    operator.groups.clear()
    response = client.get("/api/targets", headers=bearer(secret))
    assert response.status_code == 403
    assert "acts as a user with no role" in response.json()["detail"]


def test_a_revoked_or_expired_token_or_an_inactive_owner_is_refused(client, operator):
    revoked, revoked_secret = make_token(operator, name="revoked")
    revoked.revoke()
    expired, expired_secret = make_token(operator, name="expired")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    _, good = make_token(operator, name="good")
    assert client.get("/api/targets", headers=bearer(good)).status_code == 200
    for secret in (revoked_secret, expired_secret, "bgd_not-a-token", ""):
        response = client.get("/api/targets", headers=bearer(secret))
        assert response.status_code == 401 and "detail" in response.json()
    operator.is_active = False
    operator.save()
    assert client.get("/api/targets", headers=bearer(good)).status_code == 401


def test_a_call_is_audited_under_the_owner_with_the_tokens_name_and_marks_the_token_used(client, operator, settings):
    settings.API_AUDIT_READS = True
    token, secret = make_token(operator, name="nightly report")
    assert token.last_used_at is None
    client.get("/api/targets", headers={**bearer(secret), "User-Agent": "curl/8"})
    event = AuditEvent.objects.get(action="api.call")
    assert event.actor == operator and event.params["api_token"] == "nightly report"
    assert event.params["path"] == "/api/targets" and event.params["status"] == 200
    assert event.user_agent == "curl/8"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_by_default_a_tokens_reads_are_audited_by_the_first_of_each_minute_and_changes_each(
    client, operator, settings, monkeypatch
):
    settings.API_AUDIT_READS = False
    now = [1_800_000_000.0]
    monkeypatch.setattr(calls, "clock", lambda: now[0])
    _, secret = make_token(operator, ApiToken.READ)
    for _ in range(3):
        client.get("/api/targets", headers=bearer(secret))
    (first,) = AuditEvent.objects.filter(action="api.call")
    assert first.params["first_read_of_minute"] is True and first.params["api_token"] == "read token"
    now[0] += 60
    client.get("/api/history", headers=bearer(secret))
    assert AuditEvent.objects.filter(action="api.call").count() == 2
    for _ in range(2):
        client.post("/api/targets/1/actions/reroute", {"reason": "x"}, content_type="application/json",
                    headers=bearer(secret))  # fmt: skip
    refused = AuditEvent.objects.filter(action="api.call", params__method="POST")
    assert [(e.outcome, e.params["status"]) for e in refused] == [("failed", 403)] * 2


def test_calls_past_the_rate_limit_are_refused_with_429_per_token(client, operator, settings, monkeypatch):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    monkeypatch.setattr(throttling, "clock", lambda: 1_800_000_030.0)  # mid-window: no minute ends meanwhile
    _, busy = make_token(operator, name="busy")
    _, other = make_token(operator, name="other")
    statuses = [client.get("/api/targets", headers=bearer(busy)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/targets", headers=bearer(busy))
    assert refused.json()["detail"] and refused["Retry-After"] == "30"
    assert client.get("/api/targets", headers=bearer(other)).status_code == 200
