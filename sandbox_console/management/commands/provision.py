"""The product's `provision` with --sample-image: it overrides it while this app is installed (the app comes
before provisioning in INSTALLED_APPS, so Django finds this command first)."""

from django.core.management.base import CommandError
from django.utils import timezone

from provisioning.management.commands import provision
from provisioning.web import step_requests

from ... import sandbox_info


class Command(provision.Command):
    help = provision.Command.help + " On the local sandbox AWS, --sample-image pushes an image when a step waits."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--sample-image",
            action="store_true",
            help="When a step waits for an image, push the sandbox's sample image (local sandbox only).",
        )

    def handle(self, *args, sample_image, **options):
        self.sample_image, self.pushed_for, self.hinted = sample_image, set(), False
        return super().handle(*args, **options)

    def acted_while_waiting(self, run):
        if not step_requests.waits_for_image(run):
            return False
        if self.sample_image and run.pk not in self.pushed_for:
            self.push_sample_image(run.setup)
            self.pushed_for.add(run.pk)
            return True
        if not self.sample_image and not self.hinted and self.on_sandbox(run.setup):
            self.stdout.write("   (this is the sandbox: --sample-image pushes one for you)")
            self.hinted = True
        return False

    def on_sandbox(self, setup):
        return sandbox_info.probe(setup.connection().endpoint_url) is not None

    def push_sample_image(self, setup):
        if not self.on_sandbox(setup):
            raise CommandError("--sample-image works only against the local sandbox AWS.")
        repository, tag = setup.config["ecr_repository"], setup.config["image_tag"]
        label = f"{setup.name} {timezone.now().isoformat()}"
        image = sandbox_info.push_sample_image(repository, tag, label, setup.connection())
        self.stdout.write(f"   pushed a sample image to {repository}:{tag} ({image['imageId']['imageDigest'][:19]})")
