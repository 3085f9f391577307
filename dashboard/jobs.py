"""Background jobs, one shape for every kind: starting one from a request, running it in a worker, showing its
polled row, and the beat sweeper that finds jobs whose worker died. The row's lease is in `models.Job`."""

import logging

from celery import current_app
from django.apps import apps
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import HttpResponseStopPolling

from . import aws
from .audit import AuditEvent, record
from .models import Job, LeaseLost

log = logging.getLogger(__name__)


def start_job(request, model, action, *, params=None, target_type="", scope="", **fields):
    """Create the job's row and its audit record; its task is queued once the transaction commits."""
    with transaction.atomic():
        job = model.objects.create(requested_by=request.user, **fields)
        record(
            action,
            outcome=AuditEvent.REQUESTED,
            request=request,
            target_type=target_type or model.AUDIT_TYPE or model._meta.model_name,
            target_id=job.pk,
            scope=scope,
            params=params or {},
        )
        transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job, task=None, **options):
    """Queue the job's task by name (so models need not import tasks)."""
    current_app.send_task(task or job.TASK, args=(job.pk,), **{**job.task_options(), **options})


def run(model, job_id, work, *, owner=None):
    """Claim the job, do its work, conclude it. `work(job)` returns the fields to save with the outcome, or
    raises aws.AwsError; `job.record_outcome(error)` writes its audit row in the same transaction."""
    job = model.objects.filter(pk=job_id).first()
    if job is None or not job.claim(owner):
        return None
    error, fields = None, {}
    try:
        fields = work(job) or {}
    except LeaseLost:
        return None
    except aws.AwsError as failure:
        error = failure
    except Exception as failure:  # noqa: BLE001 - a bug must still end the job, visibly, not leave it running
        log.exception("%s %s failed", model._meta.model_name, job.pk)
        error = aws.AwsError(type(failure).__name__, str(failure) or "Unexpected error; see the worker's log.")
    try:
        with transaction.atomic():
            job.conclude(error, **fields)
            job.record_outcome(error)
    except LeaseLost:
        log.warning("%s %s: another worker took it over", model._meta.model_name, job.pk)
        return None
    return job


def owner_of(task):
    """The lease owner's name for a running Celery task: which worker, which delivery."""
    return f"{task.request.hostname}:{task.request.id}"


def job_models():
    return [model for model in apps.get_models() if issubclass(model, Job) and model.TASK]


def sweep(now=None):
    """Every stalled job of every kind: queued again while it has starts left, else timed out (and audited).
    Returns what it did, as (model name, pk, "requeued" | "timed_out")."""
    now = now or timezone.now()
    done = []
    for model in job_models():
        for job in model.stalled(now):
            done.append((model._meta.model_name, job.pk, recover(job)))
    return done


def recover(job):
    if job.status != job.RUNNING or job.attempts < job.MAX_ATTEMPTS:
        enqueue(job, job.task_for_stalled())
        return "requeued"
    error = aws.AwsError("TimedOut", job.given_up_message())
    with transaction.atomic():
        if job.time_out(error.message):
            job.record_outcome(error)
            return "timed_out"
    return "finished"


def job_fragment(request, template_name, context, job):
    """The polled fragment of a job's row; htmx stops polling once the job has finished."""
    response = render(request, template_name, context)
    if job.is_finished and request.htmx:
        stopped = HttpResponseStopPolling(response.content)
        for header, value in response.items():
            stopped[header] = value
        return stopped
    return response
