import pytest
from django.urls import reverse

from dashboard.audit import AppendOnlyError, AuditEvent, record


def test_sign_in_and_failed_sign_in_are_recorded(client, viewer):
    client.post(reverse("login"), {"username": viewer.username, "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": viewer.username, "password": "correct-horse-battery-9"})
    failed, succeeded = AuditEvent.objects.filter(action__startswith="auth.").order_by("id")
    assert (failed.action, failed.outcome, failed.target_id) == (
        "auth.sign_in_failed",
        "failed",
        viewer.username,
    )
    assert failed.ip_address == "10.1.2.3"
    assert (failed.actor, failed.actor_name) == (None, viewer.username)  # who was tried, not "system"
    assert "wrong" not in str(failed.params)
    assert (succeeded.action, succeeded.actor, succeeded.outcome) == ("auth.sign_in", viewer, "succeeded")


def test_an_event_cannot_be_edited_or_deleted(db):
    event = record("release.reroute", outcome=AuditEvent.REQUESTED, reason="smoke test passed")
    event.reason = "something else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="edited")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["reason"])
    assert AuditEvent.objects.get().reason == "smoke test passed"


def test_the_admin_site_shows_events_read_only(client, admin_user):
    event = record("release.reroute", outcome=AuditEvent.REQUESTED)
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    assert client.get(f"/admin/dashboard/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/dashboard/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/dashboard/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
