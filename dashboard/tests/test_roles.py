"""The role matrix: anonymous, viewer, operator and admin against every URL of the product."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.timezone import now

from conftest import make_user
from dashboard.audit import AuditEvent, record
from dashboard.models import AwsConnection, ConnectionCheck
from notifications.models import Channel, Delivery
from provisioning.tests.factories import make_setup
from releases.models import FourEyesRequest, Freeze, MigrationRun, OperatorAction, ReleaseTarget, TrackRequest
from sandbox_console.models import ImagePush, SandboxHealth

PUBLIC, SIGNED_IN, VIEWER, OPERATOR, ADMIN = "public", "signed-in", "viewer", "operator", "admin"
RANK = {SIGNED_IN: 0, VIEWER: 1, OPERATOR: 2, ADMIN: 3}

# name → {method: least role}; a method not listed is refused (405) for everyone.
MATRIX = {
    "overview": {"GET": VIEWER},
    "connection-check-create": {"POST": OPERATOR},
    "connection-check-detail": {"GET": VIEWER},
    "connections": {"GET": VIEWER},
    "connection-create": {"POST": ADMIN},
    "connection-recheck": {"POST": OPERATOR},
    "connection-check-status": {"GET": VIEWER},
    "connection-delete": {"POST": ADMIN},
    "login": {"GET": PUBLIC, "POST": PUBLIC},
    "logout": {"POST": SIGNED_IN},
    "sso-start": {"GET": PUBLIC},
    "notifications": {"GET": ADMIN},
    "notification-channel-create": {"POST": ADMIN},
    "notification-channel-delete": {"POST": ADMIN},
    "notification-channel-test": {"POST": ADMIN},
    "notification-delivery": {"GET": ADMIN},
    "sso-callback": {"GET": PUBLIC},
    "password-change": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "password-change-done": {"GET": SIGNED_IN},
    "setup": {"GET": ADMIN},
    "setup-create": {"POST": ADMIN},
    "setup-detail": {"GET": ADMIN},
    "setup-step": {"GET": ADMIN, "POST": ADMIN},
    "setup-run": {"GET": ADMIN},
    "setup-run-retry": {"POST": ADMIN},
    "setup-sample-image": {"POST": ADMIN},
    "setup-file": {"GET": ADMIN},
    "setup-inventory": {"GET": ADMIN, "POST": ADMIN},
    "setup-teardown": {"GET": ADMIN, "POST": ADMIN},
    "releases": {"GET": VIEWER},
    "release-track": {"POST": ADMIN},
    "release-track-status": {"GET": VIEWER},
    "release-summary": {"GET": VIEWER},
    "release-target": {"GET": VIEWER},
    "release-target-live": {"GET": VIEWER},
    "release-action": {"GET": OPERATOR, "POST": OPERATOR},
    "release-action-status": {"GET": VIEWER},
    "release-untrack": {"POST": ADMIN},
    "release-freeze": {"POST": ADMIN},
    "connection-edit": {"GET": ADMIN, "POST": ADMIN},
    "release-freeze-end": {"POST": ADMIN},
    "release-four-eyes": {"POST": ADMIN},
    "release-four-eyes-answer": {"POST": OPERATOR},
    "release-smoke-settings": {"GET": ADMIN, "POST": ADMIN},
    "release-migration": {"GET": VIEWER},
    "release-migration-start": {"POST": ADMIN},  # the run; its dry run is an operator's (test_migration_pages.py)
    "release-migration-run": {"GET": VIEWER},
    "release-migration-retry": {"POST": ADMIN},
    "history": {"GET": VIEWER},
    "history-live": {"GET": VIEWER},
    "history-export-csv": {"GET": VIEWER},
    "history-export-jsonl": {"GET": VIEWER},
    "release-timeline": {"GET": VIEWER},
    "insights": {"GET": VIEWER},
    "sandbox": {"GET": ADMIN, "POST": ADMIN},
    "image-push-detail": {"GET": ADMIN},
    "api-tokens": {"GET": VIEWER, "POST": VIEWER},
    "api-token-revoke": {"POST": VIEWER},
}


def named_urls(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" or pattern.namespace == "api":  # staff sign-in; tokens (api/tests)
                continue
            yield from named_urls(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name


def test_every_url_is_in_the_matrix():
    assert set(named_urls()) == set(MATRIX)


@pytest.fixture
def url_kwargs(db, settings):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"
    SandboxHealth.objects.create(endpoint_url=settings.AWS_ENDPOINT_URL, document={"sandbox": True})
    check = ConnectionCheck.objects.create()
    staging = AwsConnection.objects.create(name="staging", region="eu-west-1")
    staging_check = ConnectionCheck.objects.create(aws_connection=staging)
    push = ImagePush.objects.create(repository="nginx")
    record("pipeline.execution_started", outcome=AuditEvent.OBSERVED, scope="shop", params={"execution_id": "e-1"})
    target = ReleaseTarget.objects.create(name="shop", pipeline_name="shop", region="us-east-1")
    track = TrackRequest.objects.create(pipeline_name="shop")
    action = OperatorAction.objects.create(target=target, kind="reroute", reason="r", status="confirmed")
    asked = FourEyesRequest.objects.create(target=target, kind="reroute", reason="r", expires_at=now())
    freeze = Freeze.objects.create(target=target, ends_at=now() + timedelta(hours=1), reason="calm")
    moved = MigrationRun.objects.create(target=target, phase="run", status="failed")
    setup, run = make_setup("shop")
    channel = Channel.objects.create(name="room", kind=Channel.EMAIL, recipients="ops@example.com")
    delivery = Delivery.objects.create(
        channel=channel, key="k", kind="test", title="t", link="/", next_attempt_at=now()
    )
    return {
        "notification-channel-delete": {"pk": channel.pk},
        "notification-channel-test": {"pk": channel.pk},
        "notification-delivery": {"pk": delivery.pk},
        "setup-detail": {"name": setup.name},
        "setup-step": {"name": setup.name, "step": "connect"},
        "setup-run": {"pk": run.pk},
        "setup-run-retry": {"pk": run.pk},
        "setup-sample-image": {"name": setup.name},
        "setup-file": {"name": setup.name, "filename": "appspec.yaml"},
        "setup-inventory": {"name": setup.name},
        "setup-teardown": {"name": setup.name},
        "release-track-status": {"pk": track.pk},
        "release-target": {"pk": target.pk},
        "release-target-live": {"pk": target.pk},
        "release-action": {"pk": target.pk, "kind": "release_change"},
        "release-action-status": {"pk": action.pk},
        "release-untrack": {"pk": target.pk},
        "release-freeze": {"pk": target.pk},
        "release-freeze-end": {"pk": target.pk, "freeze_pk": freeze.pk},
        "release-four-eyes": {"pk": target.pk},
        "release-four-eyes-answer": {"pk": asked.pk, "answer": "decline"},
        "release-smoke-settings": {"pk": target.pk},
        "release-migration": {"pk": target.pk},
        "release-migration-start": {"pk": target.pk, "phase": "run"},
        "release-migration-run": {"pk": moved.pk},
        "release-migration-retry": {"pk": moved.pk},
        "connection-check-detail": {"pk": check.pk},
        "connection-recheck": {"pk": staging.pk},
        "connection-edit": {"pk": staging.pk},
        "connection-check-status": {"pk": staging_check.pk},
        "connection-delete": {"pk": staging.pk},
        "image-push-detail": {"pk": push.pk},
        "release-timeline": {"scope": "shop", "execution_id": "e-1"},
        "api-token-revoke": {"pk": 1},
    }


def expected(rule, role):
    if rule == PUBLIC:
        return "ok"
    if role is None:
        return "sign-in"
    return "ok" if RANK[role] >= RANK[rule] else "forbidden"


def outcome(response):
    if response.status_code == 302 and "/sign-in/?next=" in response["Location"]:
        return "sign-in"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 405:
        return "not-allowed"
    assert response.status_code < 400, response.status_code
    return "ok"


@pytest.mark.parametrize("role", [None, VIEWER, OPERATOR, ADMIN])
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_matrix(name, role, client, url_kwargs):
    user = make_user(f"user-{role}", role) if role else None
    if user:
        client.force_login(user)
    url = reverse(name, kwargs=url_kwargs.get(name))
    for method in ("GET", "POST"):
        response = getattr(client, method.lower())(url)
        rule = MATRIX[name].get(method)
        if rule is None:
            # Anonymous visitors are sent to sign-in before anything else is said, except on the sign-in pages.
            public = PUBLIC in MATRIX[name].values()
            assert outcome(response) == ("sign-in" if role is None and not public else "not-allowed"), f"{method} {url}"
            continue
        assert outcome(response) == expected(rule, role), f"{method} {url} as {role}"
        if user and method == "POST" and name == "logout":
            client.force_login(user)


# The only POSTs a viewer makes: its own sign-in, password and API tokens.
ACCOUNT_POSTS = {"login", "logout", "password-change", "api-tokens", "api-token-revoke"}


def test_viewers_are_refused_every_action(client, url_kwargs, viewer):
    actions = sorted(n for n, rules in MATRIX.items() if "POST" in rules and n not in ACCOUNT_POSTS)
    assert actions
    assert all(RANK[MATRIX[n]["POST"]] > RANK[VIEWER] for n in actions)
    for name in actions:
        client.force_login(viewer)
        assert client.post(reverse(name, kwargs=url_kwargs.get(name))).status_code == 403, name


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/releases/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=/releases/"


def test_the_role_groups_come_back_after_a_flush(transactional_db):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("flush", "--noinput")
    assert set(Group.objects.values_list("name", flat=True)) == {"viewer", "operator", "admin"}
    admin = Group.objects.get(name="admin")
    assert set(admin.permissions.values_list("codename", flat=True)) == {
        "add_user",
        "change_user",
        "view_user",
        "view_group",
    }


def test_every_post_without_the_csrf_token_is_refused(url_kwargs, admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    posts = sorted(name for name, rules in MATRIX.items() if "POST" in rules)
    refused = [name for name in posts if client.post(reverse(name, kwargs=url_kwargs.get(name))).status_code == 403]
    assert posts and refused == posts
