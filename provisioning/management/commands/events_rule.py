from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard import aws
from dashboard.models import named_connection
from provisioning.worker import event_queue
from releases.worker import event_rule


class Command(BaseCommand):
    help = (
        f"Create (or bring in line) the EventBridge rule and SQS queue {event_rule.NAME} that tell the dashboard of "
        "releases in one account and region as they happen, for pipelines set up outside the wizard. Safe to run "
        "again. Needs the wizard's EventBridge and SQS permissions (manage.py iam_policy)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", default=settings.AWS_REGION, help="the pipelines' AWS region")
        parser.add_argument("--profile", default=settings.AWS_PROFILE, help="the AWS profile (blank: default chain)")
        parser.add_argument("--connection", help="an AWS connection (Connections page) to use")

    def handle(self, region, profile, connection, **options):
        connection = named_connection(connection) or aws.Connection(region, profile, settings.AWS_ENDPOINT_URL)
        try:
            source = event_queue.set_up(connection)
        except aws.AwsError as error:
            raise CommandError(f"AWS said {error.code}: {error.message}") from None
        self.stdout.write(self.style.SUCCESS(f"Rule {event_rule.NAME} sends release events to {source.queue_url}"))
        self.stdout.write("Run manage.py listen_events (the Procfile's events process) to read them.")
