from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self):
        from django.db.models.signals import post_migrate
        from django.urls import register_converter
        from django.urls.converters import get_converters

        from . import signals  # noqa: F401
        from .roles import ensure_role_groups
        from .validators import PathConverter, PathSegmentConverter

        post_migrate.connect(ensure_role_groups, sender=self)
        # Before any URLconf is read: the product's URLs use these in place of `str` and `path`. Once only: a test
        # that changes INSTALLED_APPS runs ready() again.
        for name, converter in (("segment", PathSegmentConverter), ("printable_path", PathConverter)):
            if name not in get_converters():
                register_converter(converter, name)
        make_local_folders()


def make_local_folders():
    """The folders a process of this site writes in or serves from: the SQLite database's and STATIC_ROOT (which
    whitenoise looks at when it starts). Made at start-up, not when settings are imported."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        for name in (database["NAME"], database.get("TEST", {}).get("NAME")):
            if name and name != ":memory:" and not str(name).startswith("file:"):
                Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
