import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from dashboard.env import env_bool, env_int, env_str, env_url

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    # The browser tests' event loop needs DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**inherited, **env},
        timeout=120,
    )


@pytest.mark.parametrize(
    ("reader", "name", "value"),
    [
        (env_bool, "DEBUG", "maybe"),
        (env_int, "AWS_MAX_ATTEMPTS", "five"),
        (env_url, "AWS_ENDPOINT_URL", "localhost"),
    ],
)
def test_a_bad_value_is_refused_with_its_name(monkeypatch, reader, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        reader(name, 1) if reader is env_int else reader(name)


def test_start_up_stops_with_a_clear_message_on_a_bad_setting(tmp_path):
    result = run_manage("check", DEBUG="perhaps", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY="x" * 20 + "-production-secret-key-with-enough-variety-7Q",
        VAR_DIR=str(tmp_path),
        ALLOWED_HOSTS="dashboard.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_secret_key_is_kept_outside_the_database(tmp_path):
    result = run_manage("check", VAR_DIR=str(tmp_path), SECRET_KEY="")
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert len(key_file.read_text()) >= 50


def test_a_secret_is_read_from_the_file_its_file_setting_names(monkeypatch, tmp_path):
    secret = tmp_path / "database_url"
    secret.write_text("postgres://dashboard:s3cret@db/dashboard\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
    assert env_url("DATABASE_URL", schemes=("postgres",)) == "postgres://dashboard:s3cret@db/dashboard"


def test_a_value_and_a_file_for_the_same_setting_are_refused(monkeypatch, tmp_path):
    (tmp_path / "key").write_text("from-the-file")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "key"))
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY or SECRET_KEY_FILE"):
        env_str("SECRET_KEY")


def test_a_missing_secret_file_stops_start_up_with_its_name(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FILE"):
        env_str("SECRET_KEY")


def test_the_secret_key_comes_from_its_file_at_start_up(tmp_path):
    (tmp_path / "secret_key").write_text("key-from-a-mounted-secret\n")
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    result = run_manage("shell", "-c", script, SECRET_KEY_FILE=str(tmp_path / "secret_key"), VAR_DIR=str(tmp_path))
    assert result.stdout.splitlines()[-1] == "key-from-a-mounted-secret", result.stderr


def test_importing_the_settings_makes_no_folder(tmp_path):
    var_dir = tmp_path / "var"
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard.settings"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**inherited, "VAR_DIR": str(var_dir), "SECRET_KEY": "set-so-no-key-file-is-written"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not var_dir.exists()
