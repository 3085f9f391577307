from django.apps import AppConfig


class SandboxConsoleConfig(AppConfig):
    name = "sandbox_console"
    verbose_name = "Sandbox console"

    # What it adds to the product's pages and URLs (see dashboard/extensions.py).
    url_prefix, urls = "sandbox/", "sandbox_console.urls"
    page_parts = {
        "nav": "sandbox_console/nav.html",
        "connection": "sandbox_console/connection.html",
        "setup_head": "sandbox_console/setup_head.html",
        "setup_run": "sandbox_console/setup_run.html",
    }

    def ready(self):
        from dashboard import events

        from . import models, tasks  # noqa: F401 - the worker's start-up probe is connected in tasks

        events.LABELS.setdefault(models.IMAGE_PUSH, "Pushed a sample image")
