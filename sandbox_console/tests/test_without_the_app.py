"""With the app left out (as `make serve` and production run), the product's pages say nothing of the sandbox and
never ask the app's tables; its URLs and provision's --sample-image are gone."""

import importlib

import pytest
from django.core.management import get_commands, load_command_class
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

import dashboard.urls
from dashboard.models import ConnectionCheck
from provisioning.tests.factories import make_setup
from sandbox_console.models import SandboxHealth


def reload_urls():
    clear_url_caches()
    importlib.reload(dashboard.urls)


@pytest.fixture
def without_the_app(settings):
    apps = [name for name in settings.INSTALLED_APPS if name != "sandbox_console"]
    with override_settings(INSTALLED_APPS=apps):
        reload_urls()
        yield
    reload_urls()


@pytest.fixture
def sandbox_seen(db, settings):
    """Everything the app would show, were it installed: the endpoint is the sandbox and a check succeeded."""
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:4566"
    SandboxHealth.objects.create(endpoint_url=settings.AWS_ENDPOINT_URL, document={"sandbox": True})
    ConnectionCheck.objects.create(status="succeeded", account="123456789012", endpoint_url=settings.AWS_ENDPOINT_URL)


def page(client, name, *args):
    """The page's text and the SQL it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("name", ["overview", "setup", "releases"])
def test_a_product_page_says_nothing_of_the_sandbox(client, admin_user, sandbox_seen, without_the_app, name):
    client.force_login(admin_user)
    text, queries = page(client, name)
    assert "sandbox" not in text.lower()
    assert not [sql for sql in queries if "sandbox_console" in sql]


def test_the_wizard_step_says_nothing_of_the_sandbox(client, admin_user, sandbox_seen, without_the_app):
    make_setup("shop")
    client.force_login(admin_user)
    text, queries = page(client, "setup-step", "shop", "connect")
    assert "sandbox" not in text.lower() and "sample image" not in text.lower()
    assert not [sql for sql in queries if "sandbox_console" in sql]


def test_the_same_pages_show_the_sandbox_with_the_app(client, admin_user, sandbox_seen):
    make_setup("shop")
    client.force_login(admin_user)
    assert 'href="/sandbox/"' in page(client, "overview")[0]
    assert "Sandbox AWS" in page(client, "setup-step", "shop", "connect")[0]  # the test above can fail


def test_the_apps_urls_and_provision_option_are_gone(without_the_app):
    with pytest.raises(NoReverseMatch):
        reverse("sandbox")
    with pytest.raises(NoReverseMatch):
        reverse("setup-sample-image", args=["shop"])
    assert get_commands()["provision"] == "provisioning"
    parser = load_command_class("provisioning", "provision").create_parser("manage.py", "provision")
    assert "--sample-image" not in parser.format_help()
