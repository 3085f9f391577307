"""A setup (one run of the tutorial), the runs of its steps, and the inventory of what they made or found."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from dashboard import aws
from dashboard.models import Job


def lease_seconds():
    return settings.PROVISIONING_LEASE_SECONDS


class Setup(models.Model):
    """One blue/green chain: the values typed into the wizard (config) and what its steps found or made (outputs)."""

    CODECOMMIT, S3 = "codecommit", "s3"

    name = models.CharField(max_length=27, unique=True, help_text="Checked by names.validate_setup_name.")
    region = models.CharField(max_length=32)
    profile = models.CharField(max_length=64, blank=True, help_text="An AWS profile; blank: the default chain.")
    config = models.JSONField(default=dict, blank=True, help_text="Every form value, by field name.")
    outputs = models.JSONField(default=dict, blank=True, help_text="What the steps found or made, by key.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("setup-detail", args=[self.name])

    def connection(self):
        return aws.Connection(self.region, self.profile, settings.AWS_ENDPOINT_URL)

    @property
    def is_sandbox(self):
        return bool(self.outputs.get("is_sandbox"))

    def active_run(self):
        return self.runs.filter(status__in=StepRun.ACTIVE).first()

    def latest_runs(self):
        """The latest run of each step, by step key; a finished teardown wipes the slate."""
        runs = self.runs.order_by("created_at", "pk")
        torn_down = runs.filter(step=StepRun.TEARDOWN, status=StepRun.SUCCEEDED).last()
        if torn_down:
            runs = runs.filter(pk__gt=torn_down.pk)
        return {run.step: run for run in runs}

    def save_outputs(self, **values):
        self.outputs.update(values)
        Setup.objects.filter(pk=self.pk).update(outputs=self.outputs)


class LeaseLost(Exception):
    """Another worker took this run over (ours was presumed dead): stop without writing anything more."""


class StepRun(Job):
    """One run of a step (or of the teardown), with its checklist of sub-actions.

    A worker holds a lease on a running row and renews it as it goes; a row whose lease ran out is
    claimed again by the sweeper's re-enqueued task, which skips the sub-actions already done.
    """

    WAITING = "waiting"
    STATUSES = [*Job.STATUSES, (WAITING, "Waiting")]
    ACTIVE = (Job.PENDING, Job.RUNNING, WAITING)
    TEARDOWN = "teardown"

    status = models.CharField(max_length=16, choices=STATUSES, default=Job.PENDING)
    setup = models.ForeignKey(Setup, on_delete=models.CASCADE, related_name="runs")
    step = models.CharField(max_length=16, help_text="A step's key, or 'teardown'.")
    actions = models.JSONField(default=list, blank=True, help_text="The checklist: key, label, status, detail.")
    attempts = models.PositiveIntegerField(default=0, help_text="Starts: the first, retries, and takeovers.")
    lease_owner = models.CharField(max_length=255, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
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

    @property
    def is_teardown(self):
        return self.step == self.TEARDOWN

    @property
    def done_count(self):
        return sum(1 for action in self.actions if action["status"] == "done")

    @property
    def percent(self):
        return round(100 * self.done_count / len(self.actions)) if self.actions else 0

    def action(self, key):
        return next(a for a in self.actions if a["key"] == key)

    # The lease --------------------------------------------------------------------------------------------

    def claim(self, owner=None):
        """Take the run: pending, waiting and due, or running with a lease that ran out. False if not ours."""
        now = timezone.now()
        owner = owner or uuid.uuid4().hex
        claimable = (
            Q(status=self.PENDING)
            | Q(status=self.WAITING, wake_at__lte=now)
            | Q(status=self.RUNNING, lease_expires_at__lt=now)
        )
        claimed = StepRun.objects.filter(claimable, pk=self.pk).update(
            status=self.RUNNING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            attempts=Case(When(status=self.WAITING, then=F("attempts")), default=F("attempts") + 1),
            started_at=Coalesce("started_at", now),
            wake_at=None,
        )
        self.refresh_from_db()
        return bool(claimed)

    def _write(self, **fields):
        """Save fields while we hold the lease, renewing it."""
        fields.setdefault("lease_expires_at", timezone.now() + timedelta(seconds=lease_seconds()))
        if not StepRun.objects.filter(pk=self.pk, lease_owner=self.lease_owner, status=self.RUNNING).update(**fields):
            raise LeaseLost(f"run {self.pk} was taken over")
        for name, value in fields.items():
            setattr(self, name, value)

    def heartbeat(self):
        self._write()

    def set_action(self, key, **changes):
        self.action(key).update(changes)
        self._write(actions=self.actions)

    def save_actions(self):
        self._write(actions=self.actions)

    def save_progress(self):
        """Save the checklist after a sub-action is done; any wait it had is over."""
        self._write(actions=self.actions, waiting_since=None, message="")

    def wait(self, message, seconds):
        now = timezone.now()
        self._write(
            status=self.WAITING,
            actions=self.actions,
            message=message,
            wake_at=now + timedelta(seconds=seconds),
            waiting_since=self.waiting_since or now,
            lease_owner="",
            lease_expires_at=None,
        )

    def conclude(self, error=None):
        status = self.FAILED if error else self.SUCCEEDED
        self._write(
            status=status,
            actions=self.actions,
            finished_at=timezone.now(),
            error_code=error.code if error else "",
            error_message=error.message if error else "",
            message="",
            lease_expires_at=None,
        )

    def retry(self):
        """Failed → pending, keeping the sub-actions already done. False if it had not failed."""
        retried = StepRun.objects.filter(pk=self.pk, status=self.FAILED).update(
            status=self.PENDING, error_code="", error_message="", finished_at=None, waiting_since=None
        )
        self.refresh_from_db()
        return bool(retried)


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

    setup = models.ForeignKey(Setup, on_delete=models.CASCADE, related_name="drift_checks")
    findings = models.JSONField(
        default=list, blank=True, help_text="Per resource: kind, name, step, state, and the changes found."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"drift check of {self.setup.name} ({self.status})"

    @property
    def drifted(self):
        return [finding for finding in self.findings if finding["state"] in ("drifted", "gone")]
