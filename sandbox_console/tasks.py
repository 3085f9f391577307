from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from dashboard import aws, jobs
from releases.worker.polling import refresh_soon

from . import sandbox_info
from .models import ImagePush, SandboxHealth


@shared_task(acks_late=True, expires=30)
def record_health():
    """Beat (every 15 s): whether the configured endpoint is the sandbox, its health and its load balancers' local
    URLs (under "load_balancers"), for the pages to read."""
    if settings.AWS_ENDPOINT_URL:
        document = sandbox_info.probe(settings.AWS_ENDPOINT_URL)
        if document is not None:
            document["load_balancers"] = sandbox_info.load_balancers(settings.AWS_ENDPOINT_URL) or []
        SandboxHealth.record(settings.AWS_ENDPOINT_URL, document)


@worker_ready.connect
def health_at_start(sender, **kwargs):
    record_health.delay()


@shared_task(bind=True, acks_late=True)
def push_sample_image(self, push_id):
    jobs.run(ImagePush, push_id, _push_sample_image, owner=jobs.owner_of(self))


def _push_sample_image(push):
    # The wizard offers the push whenever the app is installed; only here, in the worker, is the endpoint asked.
    if sandbox_info.probe(push.connection().endpoint_url) is None:
        raise aws.AwsError("NotTheSandbox", "The AWS endpoint is not the local sandbox: sample images go only there.")
    # The same manifest each time this push runs: when the sweeper runs it again after its worker died mid-push,
    # ECR answers that it already has it rather than storing a second image (and starting a second release).
    label = f"push {push.pk} of {push.created_at.isoformat()}"
    try:
        image = sandbox_info.push_sample_image(push.repository, push.tag, label, push.connection())
    except aws.AwsError as error:
        if error.code != "ImageAlreadyExistsException":
            raise
        image = sandbox_info.tagged_image(push.repository, push.tag, push.connection())
    refresh_soon()  # a watching pipeline starts now: let the console see it at the next beat, not in a minute
    return {"digest": image["imageId"]["imageDigest"]}
