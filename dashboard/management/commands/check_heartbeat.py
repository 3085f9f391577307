from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboard.models import WorkerHeartbeat


class Command(BaseCommand):
    help = "Exit non-zero unless the worker ran the beat-scheduled heartbeat recently (a container health check)."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=90, help="Seconds (default 90).")

    def handle(self, max_age, **options):
        beat = WorkerHeartbeat.latest()
        if beat is None:
            raise CommandError("No heartbeat yet.")
        age = timezone.now() - beat.seen_at
        if age > timedelta(seconds=max_age):
            raise CommandError(f"Last heartbeat {int(age.total_seconds())} s ago.")
        self.stdout.write(f"Heartbeat {int(age.total_seconds())} s ago from {beat.hostname}.")
