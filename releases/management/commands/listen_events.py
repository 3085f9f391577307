import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from releases.models import EventSource
from releases.worker import listener


class Command(BaseCommand):
    help = (
        "Long-poll the SQS queues of release events (manage.py events_rule, or the wizard's pipeline step makes them) "
        "and make the tracked targets they name due for a refresh at once. Run one or more; each queue is read by "
        "one at a time. With --check: exit 1 unless every queue is read without error (a health check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="report whether every queue's events arrive")

    def handle(self, check, **options):
        if check:
            failing = [s for s in EventSource.objects.all() if not s.healthy()]
            if failing:
                raise CommandError("events are not arriving from " + ", ".join(s.queue_url for s in failing))
            self.stdout.write(f"{EventSource.objects.count()} events queue(s) read")
            return
        stop = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
        self.stdout.write("Listening for release events (SIGTERM stops)")
        listener.listen(stop)
