import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connections

from dashboard.audit import AuditEvent
from dashboard.roles import role_of


def test_create_user_gives_the_role_and_prints_a_password(db, capsys):
    call_command("create_user", "olga", "--role", "operator")
    user = get_user_model().objects.get(username="olga")
    assert role_of(user) == "operator"
    password = capsys.readouterr().out.split("Password: ")[1].strip()
    assert user.check_password(password)


def test_create_user_reads_the_password_from_the_environment(db, monkeypatch, capsys):
    monkeypatch.setenv("NEW_PASSWORD", "a-long-enough-secret")
    call_command("create_user", "ann", "--role", "admin", "--password-env", "NEW_PASSWORD")
    user = get_user_model().objects.get(username="ann")
    assert user.check_password("a-long-enough-secret")
    assert user.is_staff and role_of(user) == "admin"
    assert "a-long-enough-secret" not in capsys.readouterr().out


def test_create_user_refuses_an_existing_name(db):
    call_command("create_user", "olga", "--role", "viewer")
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_user", "olga", "--role", "admin")


def test_set_role_replaces_the_role_and_is_audited(db):
    call_command("create_user", "olga", "--role", "viewer")
    call_command("set_role", "olga", "admin")
    user = get_user_model().objects.get(username="olga")
    assert role_of(user) == "admin"
    assert [g.name for g in user.groups.all()] == ["admin"]
    changes = AuditEvent.objects.filter(action="user.roles_changed", target_id="olga")
    assert {(e.params["change"], tuple(e.params["roles"])) for e in changes} >= {
        ("add", ("viewer",)),
        ("remove", ("viewer",)),
        ("add", ("admin",)),
    }


def test_demo_signin_creates_an_admin_from_the_environment(db, monkeypatch, capsys):
    monkeypatch.setenv("DEMO_USERNAME", "demo")
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-42")
    call_command("demo_signin")
    user = get_user_model().objects.get(username="demo")
    assert role_of(user) == "admin" and user.check_password("demo-password-42")
    assert "Sign in as demo / demo-password-42" in capsys.readouterr().out


def test_create_user_refuses_a_weak_password_with_the_validators_reasons(db, monkeypatch):
    monkeypatch.setenv("NEW_PASSWORD", "password")
    with pytest.raises(CommandError, match="Refused password: This password is too common"):
        call_command("create_user", "olga", "--role", "viewer", "--password-env", "NEW_PASSWORD")
    assert not get_user_model().objects.filter(username="olga").exists()


def test_create_user_refuses_a_name_outside_django_s_user_name_pattern(db):
    with pytest.raises(CommandError, match="letters, numbers, and @/./\\+/-/_ characters"):
        call_command("create_user", "olga smith", "--role", "viewer")
    assert not get_user_model().objects.exists()


def test_a_refused_create_user_exits_non_zero_from_the_command_line(db, monkeypatch, capsys):
    import manage

    monkeypatch.setenv("NEW_PASSWORD", "password")
    monkeypatch.setattr(connections, "close_all", lambda: None)  # the command line's, which ends the test's transaction
    with pytest.raises(SystemExit) as exit:
        manage.main(["manage.py", "create_user", "olga", "--role", "viewer", "--password-env", "NEW_PASSWORD"])
    assert exit.value.code != 0
    assert "This password is too common." in capsys.readouterr().err
