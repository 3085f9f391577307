"""Every signed-in user can change its own password from the header, and the change is audited."""

from django.urls import reverse

from conftest import PASSWORD
from dashboard import events
from dashboard.audit import AuditEvent

NEW_PASSWORD = "purple-walrus-archive-7"


def test_a_viewer_changes_its_password_from_the_header_and_signs_in_with_it(client, viewer):
    client.force_login(viewer)
    overview = client.get(reverse("overview")).content.decode()
    assert f'href="{reverse("password-change")}"' in overview

    form = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post(reverse("password-change"), form, REMOTE_ADDR="10.0.0.5", follow=True)
    assert response.redirect_chain == [(reverse("password-change-done"), 302)]
    assert "Password changed" in response.content.decode()

    event = AuditEvent.objects.get(action=events.PASSWORD_CHANGED)
    assert (event.actor, event.ip_address, event.params) == (viewer, "10.0.0.5", {"password": "set"})

    client.post(reverse("logout"))
    assert client.post(reverse("login"), {"username": viewer.username, "password": PASSWORD}).status_code == 200
    signed_in = client.post(reverse("login"), {"username": viewer.username, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and client.session["_auth_user_id"] == str(viewer.pk)


def test_a_weak_new_password_is_refused_with_the_validators_reasons(client, viewer):
    client.force_login(viewer)
    form = {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"}
    response = client.post(reverse("password-change"), form)
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    viewer.refresh_from_db()
    assert viewer.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=events.PASSWORD_CHANGED).exists()
