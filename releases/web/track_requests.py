"""Asking for a pipeline to be tracked, in the web request: a TrackRequest job a worker runs."""

from django.conf import settings
from django.db import transaction

from dashboard import jobs
from releases.models import TrackRequest


def request_tracking(request, pipeline_name, *, region="", profile=""):
    """Queue tracking of a pipeline; a worker runs it once this transaction commits."""
    with transaction.atomic():
        job = TrackRequest.objects.create(
            pipeline_name=pipeline_name.strip(),
            requested_by=request.user,
            region=region or settings.AWS_REGION,
            profile=profile,
        )
        transaction.on_commit(lambda: jobs.enqueue(job))
    return job
