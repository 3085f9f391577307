import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dashboard.roles import ADMIN, ROLES


class Command(BaseCommand):
    help = "Create a sign-in with a role (viewer, operator or admin)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=ROLES, required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="Read the password from this environment variable; without it a random one is made and printed.",
        )
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing (and succeed) when the user already exists."
        )

    def handle(self, username, role, email, password_env, if_missing, **options):
        User = get_user_model()
        _refuse_invalid(lambda: User._meta.get_field(User.USERNAME_FIELD).clean(username, None), "user name")
        if User.objects.filter(username=username).exists():
            if if_missing:
                self.stdout.write(f"User {username!r} exists; left as it is.")
                return
            raise CommandError(f"User {username!r} exists already. Use set_role to change its role.")
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(f"Environment variable {password_env} is empty or unset.")
            _refuse_invalid(lambda: validate_password(password, User(username=username, email=email)), "password")
        else:
            password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user = User.objects.create_user(username, email=email, password=password, is_staff=role == ADMIN)
            user.groups.add(Group.objects.get(name=role))
        self.stdout.write(self.style.SUCCESS(f"Created {role} {username!r}."))
        if not password_env:
            self.stdout.write(f"Password: {password}")


def _refuse_invalid(check, what):
    try:
        check()
    except ValidationError as error:
        raise CommandError(f"Refused {what}: " + " ".join(error.messages)) from None
