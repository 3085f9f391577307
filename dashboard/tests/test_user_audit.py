"""Every change of a user's access is audited with who made it, wherever it was made: Django's admin site, the
product's pages, or a management command."""

import getpass

import pytest
from django.contrib.auth.models import Group
from django.db import connections

import manage
from dashboard import events
from dashboard.audit import AuditEvent

ADMIN_ADDRESS = "10.20.30.40"
NEW_PASSWORD = "purple-walrus-archive-7"


def admin_change_form(user, **changes):
    """The admin's change form for `user` as it shows it, with `changes` made (checkboxes: True or False)."""
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        "_save": "Save",
    }
    flags = {"is_active": user.is_active, "is_staff": user.is_staff, "is_superuser": user.is_superuser}
    flags.update((name, changes.pop(name)) for name in list(changes) if name in flags)
    data.update({name: "on" for name, on in flags.items() if on})
    data.update(changes)
    return data


@pytest.fixture
def superuser(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("sam-superuser", password=NEW_PASSWORD + "-root")


def newest_event_id():
    return AuditEvent.objects.values_list("pk", flat=True).first() or 0


def post_admin(client, url, data):
    response = client.post(url, data, REMOTE_ADDR=ADMIN_ADDRESS)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def test_a_superuser_making_an_admin_and_a_viewer_superuser_in_the_admin_site_is_audited(
    client, admin_user, viewer, superuser
):
    client.force_login(superuser)
    for user in (admin_user, viewer):
        post_admin(client, f"/admin/auth/user/{user.pk}/change/", admin_change_form(user, is_superuser=True))
    changes = AuditEvent.objects.filter(action=events.ACCESS_FLAGS_CHANGED).order_by("id")
    assert [(e.actor, e.ip_address, e.target_id, e.params) for e in changes] == [
        (superuser, ADMIN_ADDRESS, admin_user.username, {"superuser": True}),
        (superuser, ADMIN_ADDRESS, viewer.username, {"superuser": True}),
    ]


def test_an_admin_cannot_make_itself_or_a_viewer_superuser_nor_change_a_superuser(
    client, admin_user, viewer, superuser
):
    client.force_login(admin_user)
    for user in (admin_user, viewer):
        post_admin(client, f"/admin/auth/user/{user.pk}/change/", admin_change_form(user, is_superuser=True))
        user.refresh_from_db()
        assert not user.is_superuser
    assert not AuditEvent.objects.filter(action=events.ACCESS_FLAGS_CHANGED).exists()
    change_url = f"/admin/auth/user/{superuser.pk}/change/"
    assert client.post(change_url, admin_change_form(superuser, is_active=False)).status_code == 403
    assert client.get(f"/admin/auth/user/{superuser.pk}/password/").status_code == 403
    form = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    assert client.post(f"/admin/auth/user/{superuser.pk}/password/", form).status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active and not superuser.check_password(NEW_PASSWORD)


def test_a_role_change_in_the_admin_site_is_credited_to_the_admin_and_its_address(client, admin_user, viewer):
    client.force_login(admin_user)
    operator_group = Group.objects.get(name="operator")
    before = newest_event_id()
    post_admin(client, f"/admin/auth/user/{viewer.pk}/change/", admin_change_form(viewer, groups=[operator_group.pk]))
    changes = AuditEvent.objects.filter(action=events.ROLES_CHANGED, pk__gt=before)
    assert {(e.actor_name, e.ip_address, e.params["change"], tuple(e.params["roles"])) for e in changes} == {
        (admin_user.username, ADMIN_ADDRESS, "remove", ("viewer",)),
        (admin_user.username, ADMIN_ADDRESS, "add", ("operator",)),
    }


def test_a_password_set_in_the_admin_site_is_audited_without_the_password(client, admin_user, viewer):
    client.force_login(admin_user)
    form = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    post_admin(client, f"/admin/auth/user/{viewer.pk}/password/", form)
    viewer.refresh_from_db()
    assert viewer.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action=events.PASSWORD_CHANGED)
    assert (event.actor, event.ip_address, event.target_id, event.params) == (
        admin_user,
        ADMIN_ADDRESS,
        viewer.username,
        {"password": "set"},
    )
    everything = str(list(AuditEvent.objects.values()))
    assert NEW_PASSWORD not in everything and viewer.password not in everything


def test_a_sign_in_changes_no_access(client, viewer):
    before = newest_event_id()
    client.post("/sign-in/", {"username": viewer.username, "password": "correct-horse-battery-9"})
    assert list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True)) == [events.SIGN_IN]


@pytest.mark.parametrize(
    ("argv", "action", "params"),
    [
        (["manage.py", "set_role", "vera-viewer", "admin"], events.ACCESS_FLAGS_CHANGED, {"staff": True}),
        (["manage.py", "changepassword", "vera-viewer"], events.PASSWORD_CHANGED, {"password": "set"}),
    ],
)
def test_a_command_s_change_is_credited_to_the_command(viewer, monkeypatch, argv, action, params):
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": NEW_PASSWORD)
    # A command run from the command line closes the connections when it ends: here, the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    manage.main(argv)
    event = AuditEvent.objects.get(action=action)
    assert (event.actor, event.actor_name, event.target_id) == (None, "system", viewer.username)
    assert event.params == {**params, "command": argv[1], "os_user": getpass.getuser()}
