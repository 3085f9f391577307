from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard import aws
from dashboard.models import named_connection
from releases.worker.track import TrackingError, track_pipeline


class Command(BaseCommand):
    help = (
        "Track an existing pipeline (found from its Amazon ECS blue/green deploy action) and run the pre-flight checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("pipeline", help="the CodePipeline pipeline's name")
        parser.add_argument("--region", default=settings.AWS_REGION, help="the pipeline's AWS region")
        parser.add_argument("--profile", default=settings.AWS_PROFILE, help="the AWS profile (blank: default chain)")
        parser.add_argument("--connection", help="an AWS connection (Connections page) to use")

    def handle(self, pipeline, region, profile, connection, **options):
        connection = named_connection(connection) or aws.Connection(region, profile, settings.AWS_ENDPOINT_URL)
        try:
            target = track_pipeline(pipeline, connection=connection)
        except TrackingError as error:
            raise CommandError(str(error)) from None
        except aws.AwsError as error:
            raise CommandError(f"AWS said {error.code}: {error.message}") from None
        self.stdout.write(f"Tracking {target.name}: console at {target.get_absolute_url()}")
        self.stdout.write(
            f"  CodeDeploy {target.application_name}/{target.deployment_group_name}, "
            f"ECS {target.cluster_name}/{target.service_name}, load balancer {target.load_balancer_name or '?'}"
        )
        passed, total = len(target.passed_checks), len(target.checks)
        style = self.style.SUCCESS if passed == total else self.style.WARNING
        self.stdout.write(style(f"{passed} of {total} pre-flight checks passed"))
        for check in target.failed_checks:
            self.stdout.write(self.style.ERROR(f"  ✗ {check['title']}: {check['message']}"))
            self.stdout.write(f"    Fix: {check['fix']}")
