from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dashboard.roles import ADMIN, ROLES


class Command(BaseCommand):
    help = "Give an existing user exactly one role (viewer, operator or admin)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=ROLES)

    def handle(self, username, role, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        with transaction.atomic():
            user.groups.remove(*user.groups.filter(name__in=ROLES).exclude(name=role))
            user.groups.add(Group.objects.get(name=role))
            user.is_staff = role == ADMIN or user.is_superuser
            user.save(update_fields=["is_staff"])
        self.stdout.write(self.style.SUCCESS(f"{username!r} is now {role}."))
