import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dashboard.roles import ADMIN


class Command(BaseCommand):
    help = (
        "Make sure the demo's admin sign-in exists and print it. DEMO_USERNAME and DEMO_PASSWORD set it; "
        "otherwise the password is generated once and kept in var/demo-password (readable only by you)."
    )

    def handle(self, **options):
        username = os.environ.get("DEMO_USERNAME") or "admin"
        password = os.environ.get("DEMO_PASSWORD") or self._kept_password()
        User = get_user_model()
        try:
            validate_password(password, User(username=username))
        except ValidationError as error:
            raise CommandError("Refused DEMO_PASSWORD: " + " ".join(error.messages)) from None
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
        if created or os.environ.get("DEMO_PASSWORD"):
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=ADMIN))
        self.stdout.write(f"Sign in as {username} / {password}")

    def _kept_password(self):
        path = settings.VAR_DIR / "demo-password"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(12))
        return path.read_text().strip()
