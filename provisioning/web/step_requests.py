"""What the pages ask for: start a step, retry one, tear down, check for drift. Each writes rows and an
audit event in one transaction, and enqueues the worker's task once it commits; none of them calls AWS."""

from django.db import IntegrityError, transaction

from dashboard import events, jobs
from dashboard.audit import AuditEvent, record
from dashboard.jobs import start_job
from dashboard.models import placement
from provisioning.models import DriftCheck, Setup, StepRun
from provisioning.worker import steps


class Busy(Exception):
    """Another step of this setup is pending, running or waiting."""


def step_states(setup):
    """[(step as the setup's engine names it, latest run or None, available)]: a step is available once every step
    before it succeeded (of those the setup's engine goes through)."""
    latest = setup.latest_runs()
    states, ready = [], True
    for step in steps.for_setup(setup):
        run = latest.get(step.KEY)
        states.append((step, run, ready))
        ready = ready and run is not None and run.status == StepRun.SUCCEEDED
    return states


def waits_for_image(run):
    """Whether a waiting run waits for an image to be pushed (the first one, or the one that starts a release)."""
    key = getattr(steps.get(run.step), "IMAGE_ACTION", None)
    return run.status == StepRun.WAITING and key is not None and run.action(key)["status"] == "waiting"


def create_setup(values, *, user=None, request=None, enqueue=True):
    where = placement(values.get("connection"), region=values["region"], profile=values.get("profile", ""))
    with transaction.atomic():
        engine = values.get("engine") or Setup._meta.get_field("engine").default
        setup = Setup.objects.create(name=values["name"], created_by=user, engine=engine, **where)
        run = start_step(setup, "connect", {}, user=user, request=request, enqueue=enqueue)
    return setup, run


def start_step(setup, key, values, *, user=None, request=None, enqueue=True, recreate=False):
    """Save the step's form values into the setup and queue a run of it (or of the teardown); `recreate`: the
    service step deletes the service first, for what AWS cannot change in place."""
    user = user if user is not None else getattr(request, "user", None)
    try:
        with transaction.atomic():
            setup = Setup.objects.select_for_update().get(pk=setup.pk)
            if setup.runs.filter(status__in=StepRun.ACTIVE).exists():
                raise Busy(f"Another step of {setup.name} is still running.")
            if key == "connect":
                connection = values.get("connection", setup.aws_connection)
                where = placement(
                    connection, region=values.get("region", setup.region), profile=values.get("profile", setup.profile)
                )
                for field, value in where.items():
                    setattr(setup, field, value)
                setup.engine = values.get("engine") or setup.engine
                values = {**values, "connection": connection.name if connection else ""}
            else:
                setup.config.update(values)
            setup.save(update_fields=["region", "profile", "aws_connection", "engine", "config"])
            plan = steps.get(key).plan(setup)
            if recreate:
                plan = [steps.service.recreate_action(setup), *plan]
            checklist = [{"key": a.key, "label": a.label, "status": "pending", "detail": ""} for a in plan]
            run = StepRun.objects.create(setup=setup, step=key, requested_by=user, actions=checklist)
            requested(run, request=request, user=user, values=values, **({"recreate": True} if recreate else {}))
            if enqueue:
                transaction.on_commit(lambda: jobs.enqueue(run))
    except IntegrityError as error:  # another run became active at the same moment
        raise Busy(f"Another step of {setup.name} is still running.") from error
    return run


def requested(run, *, request, user, **params):
    event = record(
        events.SETUP_TEARDOWN if run.is_teardown else events.SETUP_STEP,
        outcome=AuditEvent.REQUESTED,
        user=user,
        request=request,
        target_type="setup_step",
        target_id=run.pk,
        scope=run.setup.name,
        params={"step": run.step, **params},
    )
    StepRun.objects.filter(pk=run.pk).update(requested_event_id=event.pk, requested_by=user)


def retry(run, *, request):
    """Run a failed step again from the sub-action that failed; False when it had not failed."""
    try:
        with transaction.atomic():
            if not run.retry():
                return False
            requested(run, request=request, user=request.user, retry=True)
            transaction.on_commit(lambda: jobs.enqueue(run))
    except IntegrityError as error:
        raise Busy(f"Another step of {run.setup.name} is still running.") from error
    return True


def teardown(setup, *, user=None, request=None, enqueue=True):
    return start_step(setup, StepRun.TEARDOWN, {}, user=user, request=request, enqueue=enqueue)


def check_drift(setup, *, request):
    """Queue a worker's comparison of what AWS has now with what the setup says."""
    return start_job(
        request, DriftCheck, events.SETUP_DRIFT_CHECK, target_type="drift_check", scope=setup.name, setup=setup
    )
