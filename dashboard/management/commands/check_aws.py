from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard import aws, permissions


class Command(BaseCommand):
    help = (
        "Who the dashboard is signed in to AWS as, and which IAM actions the console and the setup wizard need "
        "that these credentials lack (the overview's Check connection, run here). Exits non-zero when any is "
        "denied or AWS fails."
    )

    def handle(self, **options):
        try:
            identity = aws.call("sts", "get_caller_identity")
            report = permissions.preflight(identity)
        except aws.AwsError as error:
            raise CommandError(f"{error.operation or 'AWS'} failed: {error.code}: {error.message}") from error
        endpoint = f", endpoint {settings.AWS_ENDPOINT_URL}" if settings.AWS_ENDPOINT_URL else ""
        self.stdout.write(
            f"Signed in as {report['arn']} (account {report['account']}, region {settings.AWS_REGION}{endpoint})."
        )
        for line in permissions.summary(report):
            self.stdout.write(line)
        denied = permissions.denied_count(report)
        if denied:
            raise CommandError(f"{denied} denied: python manage.py iam_policy --console / --wizard prints the policy.")
