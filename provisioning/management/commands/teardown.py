import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from provisioning.models import Setup, StepRun
from provisioning.web import step_requests
from provisioning.worker import runner


class Command(BaseCommand):
    help = "Delete every AWS resource the wizard created for a setup, newest first (in this process)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--confirm", required=True, metavar="NAME", help="The setup's name again, to confirm.")

    def handle(self, *args, name, confirm, **options):
        setup = Setup.objects.filter(name=name).first()
        if setup is None:
            raise CommandError(f"There is no setup {name!r}.")
        if confirm != name:
            raise CommandError(f"--confirm must be {name} exactly.")
        try:
            run = step_requests.teardown(setup, enqueue=False)
        except step_requests.Busy as busy:
            raise CommandError(str(busy)) from busy
        while True:
            run = runner.execute(run.pk, report=self.report) or self.elsewhere(run)
            if run.status != StepRun.WAITING:
                break
            self.stdout.write(f"   … {run.message}")
            time.sleep(max(0.0, (run.wake_at - timezone.now()).total_seconds()))
        if run.has_failed:
            raise CommandError(f"Teardown failed: {run.error_code}: {run.error_message}")
        self.stdout.write(self.style.SUCCESS(f"Teardown of {name} is done."))

    def elsewhere(self, run):
        raise CommandError(f"Step {run.step} of {run.setup.name} is being run by a worker; see the wizard.")

    def report(self, action):
        self.stdout.write(f"   ✓ {action['label']} — {action['detail']}")
