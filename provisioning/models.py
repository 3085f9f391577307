"""A setup (one run of the tutorial), the runs of its steps, and the inventory of what they made or found."""

from collections.abc import Mapping

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from dashboard import events
from dashboard.models import AwsConnection, Job, LeaseLost, WaitingJob, connection_of  # noqa: F401 (provisioning.models.LeaseLost)
from releases.service_deployments import CODEDEPLOY, ECS


class Setup(models.Model):
    """One blue/green chain: the values typed into the wizard (config) and what its steps found or made (outputs)."""

    CODECOMMIT, S3 = "codecommit", "s3"
    ENGINES = [
        (CODEDEPLOY, "CodeDeploy blue/green (the tutorial's way)"),
        (ECS, "Amazon ECS blue/green (no CodeDeploy)"),
    ]

    name = models.CharField(max_length=27, unique=True, help_text="Checked by names.validate_setup_name.")
    region = models.CharField(max_length=32)
    profile = models.CharField(max_length=64, blank=True, help_text="An AWS profile; blank: the default chain.")
    aws_connection = models.ForeignKey(
        AwsConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="setups"
    )
    engine = models.CharField(
        max_length=16, choices=ENGINES, default=CODEDEPLOY, help_text="Who runs the service's blue/green deployments."
    )
    config = models.JSONField(default=dict, blank=True, help_text="Every form value, by field name.")
    step_outputs = models.JSONField(
        default=dict, blank=True, help_text="What each step found or made: step key → {output key: value}."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("setup-detail", args=[self.name])

    def connection(self):
        return connection_of(self)

    @property
    def uses_ecs(self):
        """ECS runs the blue/green deployments itself (deployment controller ECS): no CodeDeploy."""
        return self.engine == ECS

    def active_run(self):
        return self.runs.filter(status__in=StepRun.ACTIVE).first()

    def latest_runs(self):
        """The latest run of each step, by step key; a finished teardown wipes the slate."""
        runs = self.runs.order_by("created_at", "pk")
        torn_down = runs.filter(step=StepRun.TEARDOWN, status=StepRun.SUCCEEDED).last()
        if torn_down:
            runs = runs.filter(pk__gt=torn_down.pk)
        return {run.step: run for run in runs}

    @property
    def outputs(self):
        """Every step's outputs by key, read-only (each key has one owner step, so they never collide)."""
        return Outputs(self.step_outputs)

    def output(self, key, default=None):
        return self.outputs.get(key, default)

    def save_outputs(self, step, owners, **values):
        """Keep what `step` found or made; only the keys its declaration lists. `owners` maps each output key to
        the one step that declares it (provisioning.worker.steps.OWNER_OF_OUTPUT)."""
        for key in values:
            if owners.get(key) != step:
                owner = owners.get(key)
                whose = f"it belongs to step {owner}" if owner else "no step declares it"
                raise UndeclaredOutput(f"Step {step} cannot write output {key!r}: {whose}.")
        self.step_outputs.setdefault(step, {}).update(values)
        Setup.objects.filter(pk=self.pk).update(step_outputs=self.step_outputs)


class UndeclaredOutput(Exception):
    """A step wrote an output its declaration does not list: a bug, never an AWS answer."""


class Outputs(Mapping):
    """A live, read-only view of a setup's outputs by key across its steps: outputs["vpc_id"]."""

    def __init__(self, by_step):
        self._by_step = by_step

    def __getitem__(self, key):
        for values in self._by_step.values():
            if key in values:
                return values[key]
        raise KeyError(key)

    def __iter__(self):
        return (key for values in self._by_step.values() for key in values)

    def __len__(self):
        return sum(len(values) for values in self._by_step.values())


class StepRun(WaitingJob, Job):
    """One run of a step (or of the teardown), with its checklist of sub-actions.

    A worker holds a lease on a running row and renews it as it goes; a row whose lease ran out is
    claimed again by the sweeper's re-enqueued task, which skips the sub-actions already done. A run that
    waits for AWS (a service to become stable) gives its lease up and is claimed again when it wakes.
    """

    WAITING = "waiting"
    STATUSES = [*Job.STATUSES, (WAITING, "Waiting")]
    ACTIVE = (Job.PENDING, Job.RUNNING, WAITING)
    TEARDOWN = "teardown"
    # The wizard's steps in the tutorial's order (provisioning.worker.steps checks its registry against this); teardown
    # deletes in the reverse order.
    STEP_KEYS = ("connect", "repository", "taskdef", "loadbalancer", "service", "codedeploy", "pipeline", "verify")
    TASK = "provisioning.tasks.run_step"
    MAX_ATTEMPTS = 10  # steps resume where they stopped: a takeover is cheap

    status = models.CharField(max_length=16, choices=STATUSES, default=Job.PENDING)
    setup = models.ForeignKey(Setup, on_delete=models.CASCADE, related_name="runs")
    step = models.CharField(max_length=16, help_text="A step's key, or 'teardown'.")
    actions = models.JSONField(default=list, blank=True, help_text="The checklist: key, label, status, detail.")
    wake_at = models.DateTimeField(null=True, blank=True, help_text="When a waiting run looks again.")
    waiting_since = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="What a waiting run waits for.")
    requested_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["setup"], condition=Q(status__in=("pending", "running", "waiting")), name="one_active_run"
            )
        ]

    def __str__(self):
        return f"{self.setup.name} {self.step} ({self.status})"

    def task_options(self):
        return {"queue": settings.PROVISIONING_QUEUE} if settings.PROVISIONING_QUEUE else {}

    @property
    def is_teardown(self):
        return self.step == self.TEARDOWN

    @property
    def percent(self):
        return round(100 * self.done_count / len(self.actions)) if self.actions else 0

    def set_action(self, key, **changes):
        self.action(key).update(changes)
        self._write(actions=self.actions)

    def save_actions(self):
        self._write(actions=self.actions)


class Resource(models.Model):
    """An AWS resource a step created (owned: teardown deletes it) or found and adopted (kept)."""

    CREATING, PRESENT, DELETED = "creating", "present", "deleted"
    STATES = [(s, s.title()) for s in (CREATING, PRESENT, DELETED)]

    setup = models.ForeignKey(Setup, on_delete=models.CASCADE, related_name="resources")
    step = models.CharField(max_length=16)
    kind = models.CharField(max_length=64, help_text="e.g. ecs.cluster")
    name = models.CharField(max_length=255)
    arn = models.CharField(max_length=2048, blank=True)
    owned = models.BooleanField(default=True, help_text="Created by the wizard (teardown deletes it).")
    state = models.CharField(max_length=16, choices=STATES, default=CREATING)
    run = models.ForeignKey(StepRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["setup", "kind", "name"], name="one_row_per_resource")]

    def __str__(self):
        return f"{self.kind} {self.name}"


class DriftCheck(Job):
    """A worker's comparison of what AWS has now with what the setup says, for the fields the wizard owns."""

    TASK = "provisioning.tasks.check_drift"
    AUDIT_EVENT = events.SETUP_DRIFT_CHECK
    AUDIT_TYPE = "drift_check"

    setup = models.ForeignKey(Setup, on_delete=models.CASCADE, related_name="drift_checks")
    findings = models.JSONField(
        default=list, blank=True, help_text="Per resource: kind, name, step, state, and the changes found."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"drift check of {self.setup.name} ({self.status})"

    def outcome_scope(self):
        return self.setup.name

    def outcome_params(self):
        return {"drifted": [f"{f['kind']} {f['name']}" for f in self.drifted]}

    @property
    def drifted(self):
        return [finding for finding in self.findings if finding["state"] in ("drifted", "gone")]
