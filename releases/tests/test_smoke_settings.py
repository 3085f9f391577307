"""The smoke check settings page: admins only, AWS's listener addresses suggested, every bad value refused with a
message that says what to change and keeps what was typed, and a save audited and shown on the console at once."""

import pytest
from django.urls import reverse

from dashboard import events
from dashboard.audit import AuditEvent
from releases.models import ReleaseTarget, SmokeSettings


@pytest.fixture
def target(db):
    return ReleaseTarget.objects.create(
        name="shop",
        pipeline_name="shop",
        region="us-east-1",
        load_balancer_dns="shop-alb-123.us-east-1.elb.amazonaws.com",
        prod_port=443,
        prod_protocol="HTTPS",
        test_port=8080,
        test_protocol="HTTP",
    )


def url(target):
    return reverse("release-smoke-settings", args=[target.pk])


def form(**changes):
    data = {
        "test_url": "http://127.0.0.1:9001",
        "production_url": "http://127.0.0.1:9000",
        "reroute_on_pass": "on",
        "rollback_on_failure": "on",
        "check-TOTAL_FORMS": "1",
        "check-INITIAL_FORMS": "0",
        "check-0-path": "/health",
        "check-0-status": "200",
        "check-0-body_text": "",
        "check-0-json_field": "app.color",
        "check-0-json_value": "green",
        "check-0-timeout": "3",
        "check-0-count": "2",
        "check-0-interval": "1",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_only_admins_open_or_save_them(client_for, target, viewer, operator):
    for user in (viewer, operator):
        client = client_for(user)
        assert client.get(url(target)).status_code == 403
        assert client.post(url(target), form()).status_code == 403
    assert not SmokeSettings.objects.exists()


def test_a_target_without_settings_is_offered_its_listeners_as_aws_names_them(client_for, target, admin_user):
    page = client_for(admin_user).get(url(target)).content.decode()
    assert 'value="http://shop-alb-123.us-east-1.elb.amazonaws.com:8080"' in page
    assert 'value="https://shop-alb-123.us-east-1.elb.amazonaws.com"' in page
    assert 'name="check-0-path"' in page and 'name="check-0-status" value="200"' in page


def test_saving_keeps_the_checks_and_the_policy_audits_and_moves_the_console_on(client_for, target, admin_user):
    client = client_for(admin_user)
    version = target.version
    answer = client.post(url(target), form())
    assert answer.status_code == 302 and answer["Location"] == target.get_absolute_url()
    saved = SmokeSettings.objects.get(target=target)
    assert saved.checks == [
        {
            "path": "/health",
            "status": 200,
            "body_text": "",
            "json_field": "app.color",
            "json_value": "green",
            "timeout": 3,
            "count": 2,
            "interval": 1,
        }
    ]
    assert (saved.reroute_on_pass, saved.rollback_on_failure, saved.block_reroute) == (True, True, False)
    target.refresh_from_db()
    assert target.version > version
    event = AuditEvent.objects.get(action=events.SMOKE_SETTINGS_SET)
    assert (event.actor_name, event.scope, event.params["test_url"]) == ("ada-admin", "shop", "http://127.0.0.1:9001")

    console = client.get(target.get_absolute_url()).content.decode()
    assert "http://127.0.0.1:9001" in console
    assert "Reroute automatically when they pass; stop and roll back automatically when they fail" in console
    # The saved check comes back for editing, with a blank row for another; removing it leaves none.
    page = client.get(url(target)).content.decode()
    assert 'name="check-0-json_field" value="app.color"' in page and 'name="check-1-path"' in page
    removed = form(**{"check-INITIAL_FORMS": "1", "check-0-DELETE": "on"}, test_url="", production_url="")
    removed = {key: value for key, value in removed.items() if key not in ("reroute_on_pass", "rollback_on_failure")}
    assert client.post(url(target), removed).status_code == 302
    assert SmokeSettings.objects.get(target=target).checks == []


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"test_url": "ftp://shop.example.com"}, "test_url", "A base URL starts with http:// or https://"),
        ({"test_url": "http://deploy:s3cret@shop.example.com"}, "test_url", "Leave the user name and password out"),
        ({"production_url": "http://shop.example.com/?debug=1"}, "production_url", "A base URL has no query"),
        ({"test_url": "", "production_rollback_on_failure": "on"}, "test_url", "needs its URL: give the Test URL"),
        ({"check-0-path": "health"}, "check-0-path", "A path starts with /"),
        ({"check-0-json_field": "", "check-0-json_value": "green"}, "check-0-json_field", "Name the JSON field"),
        ({"check-0-json_field": "app..color"}, "check-0-json_field", "names joined by dots"),
        ({"check-0-timeout": "90"}, "check-0-timeout", "less than or equal to 30"),
        ({"check-0-status": "42"}, "check-0-status", "greater than or equal to 100"),
    ],
)
def test_a_bad_value_is_refused_with_what_to_change_and_the_form_keeps_what_was_typed(
    client_for, target, admin_user, changes, field, message
):
    answer = client_for(admin_user).post(url(target), form(**changes))
    page = answer.content.decode()
    assert answer.status_code == 200 and message in page
    assert f'id="error-{field}"' in page
    assert 'value="app.color"' in page or "check-0-json_field" in changes  # the rest as typed
    assert not SmokeSettings.objects.exists()


def test_urls_without_a_check_are_refused(client_for, target, admin_user):
    blank = form(**{f"check-0-{name}": "" for name in ("path", "json_field", "json_value")})
    blank.update({"check-0-status": "200", "check-0-timeout": "5", "check-0-count": "1", "check-0-interval": "5"})
    page = client_for(admin_user).post(url(target), blank).content.decode()
    assert "Add at least one check (a path, such as /health), or leave both URLs blank." in page
    assert not SmokeSettings.objects.exists()


def test_only_admins_see_the_link_to_them_on_the_console(client_for, target, operator, admin_user):
    assert "smoke-settings-link" not in client_for(operator).get(target.get_absolute_url()).content.decode()
    assert url(target) in client_for(admin_user).get(target.get_absolute_url()).content.decode()
