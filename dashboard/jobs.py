"""Starting a background job and showing its row: the pattern every job in the product follows."""

from django.db import transaction
from django.shortcuts import render
from django_htmx.http import HttpResponseStopPolling

from .audit import AuditEvent, record


def start_job(request, model, task, action, *, params=None, **fields):
    """Create the job's row and its audit record; the task is queued once the transaction commits."""
    with transaction.atomic():
        job = model.objects.create(requested_by=request.user, **fields)
        record(
            action,
            outcome=AuditEvent.REQUESTED,
            request=request,
            target_type=model._meta.model_name,
            target_id=job.pk,
            params=params or {},
        )
        transaction.on_commit(lambda: task.delay(job.pk))
    return job


def job_fragment(request, template_name, context, job):
    """The polled fragment of a job's row; htmx stops polling once the job has finished."""
    response = render(request, template_name, context)
    if job.is_finished and request.htmx:
        response.status_code = HttpResponseStopPolling.status_code
    return response
