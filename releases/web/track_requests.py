"""Asking for a pipeline to be tracked, in the web request: a TrackRequest job a worker runs."""

from django.db import transaction

from dashboard import jobs
from dashboard.models import placement
from releases.models import TrackRequest


def request_tracking(
    request, pipeline_name="", *, cluster_name="", service_name="", region="", profile="", connection=None
):
    """Queue tracking of a pipeline, through an AwsConnection or in a region with the dashboard's credentials; a
    worker runs it once this transaction commits."""
    where = placement(connection, region=region, profile=profile)
    with transaction.atomic():
        job = TrackRequest.objects.create(
            pipeline_name=pipeline_name.strip(),
            cluster_name=cluster_name,
            service_name=service_name,
            requested_by=request.user,
            **where,
        )
        transaction.on_commit(lambda: jobs.enqueue(job))
    return job
