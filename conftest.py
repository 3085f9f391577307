"""Shared test fixtures: named users per role, the sandbox AWS, a real Celery worker, a real browser."""

import os
from pathlib import Path

import pytest

# Tests never reach a real AWS account: dummy credentials, and every client points at the sandbox.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

SCREENSHOTS = Path(__file__).resolve().parent / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery-9"


def pytest_configure():
    """A second database, always SQLite, for the tests that prove a behaviour on both vendors while the default is
    PostgreSQL (dashboard/tests/test_audit_tampering.py); only a session with such a test makes it. Added here, not
    in the test settings, because parallel test processes load the product's settings."""
    from django.conf import settings
    from django.db import connections

    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    settings.DATABASES["sqlite"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(settings.VAR_DIR / "second.sqlite3"),
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        "TEST": {"NAME": str(settings.VAR_DIR / "test-second.sqlite3")},
    }
    connections.configure_settings(None)  # Django's defaults for the new alias, as for those it has read already


def make_user(username, role):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=role == "admin")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def viewer(db):
    return make_user("vera-viewer", "viewer")


@pytest.fixture
def operator(db):
    return make_user("otto-operator", "operator")


@pytest.fixture
def admin_user(db):
    return make_user("ada-admin", "admin")


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user (or anonymous for None)."""

    def signed_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return signed_in


# The sandbox AWS: one server for the session, reset before each test that uses it.
@pytest.fixture(scope="session")
def sandbox_server():
    from sandbox.testing import run_sandbox

    with run_sandbox(manual_clock=True) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server, settings):
    from dashboard import aws

    sandbox_server.reset()
    settings.AWS_ENDPOINT_URL = sandbox_server.endpoint_url
    settings.AWS_REGION = "us-east-1"
    settings.AWS_MAX_ATTEMPTS = 2
    aws.reset_clients()
    yield sandbox_server
    aws.reset_clients()


# A real Celery worker, in a thread, consuming from the configured broker (Redis in CI).
@pytest.fixture(scope="session")
def celery_worker_session():
    from celery.contrib.testing.worker import start_worker

    from dashboard.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING") as w:
        yield w


@pytest.fixture
def worker(celery_worker_session, transactional_db):
    return celery_worker_session


@pytest.fixture
def job_queue(settings):
    """A queue of this test's own for jobs, with a 2 s lease: workers it starts (dashboard/tests/workers.py) take
    its jobs, the session's worker does not."""
    settings.JOBS_QUEUE = queue = f"jobs-{os.getpid()}"
    settings.JOB_LEASE_SECONDS = 2
    return queue


# A real headless Chromium driven by Playwright.
@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15000)
    expect.set_options(timeout=15_000)  # what a worker does on a busy machine (CI's, or a laptop's) takes seconds
    page = context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def sign_in(page, live_server):
    def signed_in_as(user):
        page.goto(f"{live_server.url}/sign-in/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        return page

    return signed_in_as


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Parallel test processes (pytest -n) share nothing: each has its own VAR_DIR (SQLite file, file broker) and
    its own Redis database, so the Celery worker one process starts never takes a task that another queued."""
    from urllib.parse import urlsplit, urlunsplit

    base = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent / "var")
    for number, spec in enumerate(specs):
        spec.env["VAR_DIR"] = str(base / "parallel" / f"gw{number}")
        if os.environ.get("REDIS_URL"):
            url = urlsplit(os.environ["REDIS_URL"])
            spec.env["REDIS_URL"] = urlunsplit(url._replace(path=f"/{int(url.path.strip('/') or 0) + 1 + number}"))


# Files that take minutes, started first, one per test process, so that no process ends the run alone with two of
# them (xdist otherwise queues files by their number of tests, these last): the clock tests wait in real time (sandbox
# waits at speed 1), the fuzzing keeps a processor busy for a minute or two.
SLOWEST_FILES = (
    "releases/tests/test_clocks_browser.py",
    "releases/tests/test_clocks_behind_browser.py",
    "dashboard/tests/test_fuzz.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SlowestFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            for scope in reversed(SLOWEST_FILES):
                if scope in self.workqueue:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return SlowestFirst(config, log)


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"Browser test screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="session", autouse=True)
def sqlite_flush_keeps_the_audit_guard():
    """Transactional tests end with a flush of every table. PostgreSQL's is TRUNCATE, which fires no row trigger;
    SQLite's is DELETE FROM, which the audit log's triggers refuse: here, and only in tests, the flush drops them
    and makes them again in its own transaction, so each test still starts with the guard in place."""
    from django.db.backends.sqlite3.base import DatabaseOperations

    from dashboard import audit_guard

    flush = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        sql = flush(self, style, tables, **kwargs)
        if audit_guard.TABLE not in tables:
            return sql
        return [*audit_guard.DROP["sqlite"], *sql, *audit_guard.CREATE["sqlite"]]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
