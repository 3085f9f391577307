import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import aws, events, permissions
from .audit import AuditEvent, record


class LeaseLost(Exception):
    """Another worker took this job over (ours was presumed dead): stop without writing anything more."""


class AwsConnection(models.Model):
    """An AWS account and region the dashboard works in, and the credentials it signs with there: its own
    (the default chain), a named profile, or a role it assumes with either. Each setup and tracked target uses
    one; a job carries the one it must use. Its health: the identity and pre-flight of its latest check, and the
    last call that worked or failed."""

    DEFAULT, PROFILE, ROLE = "default", "profile", "role"
    CREDENTIALS = [
        (DEFAULT, "The dashboard's own credentials (default chain)"),
        (PROFILE, "A named profile"),
        (ROLE, "A role to assume"),
    ]

    name = models.CharField(max_length=64, unique=True, help_text="How pages and forms name it: staging, prod-eu.")
    region = models.CharField(max_length=32)
    credentials = models.CharField(max_length=16, choices=CREDENTIALS, default=DEFAULT)
    profile = models.CharField(max_length=64, blank=True, help_text="The profile, or the role's source profile.")
    role_arn = models.CharField(max_length=2048, blank=True)
    external_id = models.CharField(max_length=1224, blank=True, help_text="Not a secret: AWS shows it in trails.")
    session_name = models.CharField(max_length=64, default="bluegreen-dashboard")
    duration_seconds = models.PositiveIntegerField(default=3600, help_text="Each assumed session's length.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    account = models.CharField(max_length=12, blank=True, help_text="The account, as its latest check found.")
    arn = models.CharField(max_length=2048, blank=True, help_text="The identity it acts as, as last found.")
    succeeded_at = models.DateTimeField(null=True, blank=True, help_text="The last AWS call through it that worked.")
    failed_at = models.DateTimeField(null=True, blank=True, help_text="The last one that failed.")
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def as_aws(self):
        role = {}
        if self.credentials == self.ROLE:
            role = {
                "role_arn": self.role_arn,
                "external_id": self.external_id,
                "session_name": self.session_name,
                "duration_seconds": self.duration_seconds,
            }
        profile = self.profile if self.credentials != self.DEFAULT else ""
        return aws.Connection(self.region, profile, settings.AWS_ENDPOINT_URL, connection_id=self.pk, **role)

    @property
    def role_account(self):
        """The account of the role it assumes, from the role's ARN (arn:aws:iam::ACCOUNT:role/NAME)."""
        parts = self.role_arn.split(":")
        return parts[4] if self.credentials == self.ROLE and len(parts) > 5 else ""

    @property
    def shown_account(self):
        return self.account or self.role_account

    @property
    def healthy(self):
        return bool(self.succeeded_at) and (not self.failed_at or self.failed_at < self.succeeded_at)

    def latest_check(self):
        return ConnectionCheck.objects.filter(aws_connection=self).first()

    QUIET_SECONDS = 60  # how often a run of successes is written: once a minute is enough for the page

    @classmethod
    def note_success(cls, pk, now=None, **identity):
        """A call through it worked (with `account` and `arn` when a check found who it acts as)."""
        now = now or timezone.now()
        rows = cls.objects.filter(pk=pk)
        if not identity:
            quiet = now - timedelta(seconds=cls.QUIET_SECONDS)
            rows = rows.filter(
                Q(succeeded_at__isnull=True) | Q(succeeded_at__lt=quiet) | Q(failed_at__gt=F("succeeded_at"))
            )
        rows.update(succeeded_at=now, **identity)

    @classmethod
    def note_failure(cls, pk, error, now=None):
        cls.objects.filter(pk=pk).update(
            failed_at=now or timezone.now(), error_code=error.code[:128], error_message=error.message
        )


def connection_of(row):
    """The aws.Connection of a row that carries one (a job, target, setup or events queue): its AwsConnection's,
    else its own region and profile with the dashboard's credentials."""
    if row.aws_connection_id:
        return row.aws_connection.as_aws()
    return aws.Connection(row.region or settings.AWS_REGION, row.profile, settings.AWS_ENDPOINT_URL)


def placement(aws_connection=None, *, region="", profile=""):
    """The fields that say where a new row works: an AwsConnection's region and credentials, or a region and
    profile with the dashboard's own credentials."""
    if aws_connection is not None:
        return {
            "region": aws_connection.region,
            "profile": aws_connection.as_aws().profile,
            "aws_connection": aws_connection,
        }
    return {"region": region or settings.AWS_REGION, "profile": profile, "aws_connection": None}


def named_connection(name):
    """The aws.Connection of the AwsConnection called `name` (None for no name); a command's --connection."""
    if not name:
        return None
    found = AwsConnection.objects.filter(name=name).first()
    if found is None:
        from django.core.management.base import CommandError

        known = ", ".join(AwsConnection.objects.values_list("name", flat=True)) or "none yet"
        raise CommandError(f"There is no AWS connection named {name!r} (known: {known}).")
    return found.as_aws()


def same_connection(connection):
    """Filter arguments for the rows that use `connection` (an aws.Connection)."""
    return {"region": connection.region, "profile": connection.profile, "aws_connection_id": connection.connection_id}


class Job(models.Model):
    """A piece of background work: its row is the truth about it, which pages read (never the broker).

    Every kind of job follows one shape. A worker claims the row with a conditional update that gives it a lease,
    renews the lease as it goes (`heartbeat`), and concludes it one way (`conclude`: succeeded, or failed with
    AWS's error). A row whose lease ran out, or whose task never arrived, is found by the sweeper
    (`dashboard.jobs.sweep`), which re-queues it (`TASK`, at most `MAX_ATTEMPTS` starts) or times it out.
    The job carries the AWS connection it must use (`aws_connection`, else `region` and `profile`).
    """

    PENDING, RUNNING, SUCCEEDED, FAILED, TIMED_OUT = "pending", "running", "succeeded", "failed", "timed_out"
    STATUSES = [(PENDING, "Pending"), (RUNNING, "Running"), (SUCCEEDED, "Succeeded"), (FAILED, "Failed")]
    STATUSES += [(TIMED_OUT, "Timed out")]
    TASK = ""  # the Celery task that runs it, by name (the sweeper re-queues it)
    MAX_ATTEMPTS = 3

    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)
    region = models.CharField(max_length=32, blank=True, help_text="The AWS region the job works in.")
    profile = models.CharField(max_length=64, blank=True, help_text="The AWS profile; blank: the default chain.")
    aws_connection = models.ForeignKey(AwsConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attempts = models.PositiveIntegerField(default=0, help_text="Starts: the first, retries, and takeovers.")
    lease_owner = models.CharField(max_length=255, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True

    @classmethod
    def lease_seconds(cls):
        return settings.JOB_LEASE_SECONDS

    @classmethod
    def open_statuses(cls):
        return (cls.PENDING, cls.RUNNING)

    @property
    def is_finished(self):
        return self.status not in self.open_statuses()

    @property
    def has_failed(self):
        """Ended without doing its work: AWS's error (error_code, error_message) or a time-out says why."""
        return self.is_finished and self.status != self.SUCCEEDED

    def connection(self):
        return connection_of(self)

    def _lease(self, now):
        return now + timedelta(seconds=self.lease_seconds())

    def claimable(self, now):
        """Rows a worker may take: pending, or running on a lease that ran out (its worker died)."""
        return Q(status=self.PENDING) | Q(status=self.RUNNING, lease_expires_at__lt=now)

    def claim(self, owner=None, **fields):
        """Take the job with a lease; False when another worker has it or it has finished."""
        now = timezone.now()
        self.lease_owner = owner or uuid.uuid4().hex
        claimed = (
            type(self)
            .objects.filter(self.claimable(now), pk=self.pk)
            .update(
                status=self.RUNNING,
                lease_owner=self.lease_owner,
                lease_expires_at=self._lease(now),
                attempts=self.attempts_after_claim(),
                started_at=Coalesce("started_at", now),
                **fields,
            )
        )
        self.refresh_from_db()
        return bool(claimed)

    def attempts_after_claim(self):
        return F("attempts") + 1

    def _write(self, **fields):
        """Save fields while we hold the lease, renewing it."""
        fields.setdefault("lease_expires_at", self._lease(timezone.now()))
        held = type(self).objects.filter(pk=self.pk, lease_owner=self.lease_owner, status=self.RUNNING)
        if not held.update(**fields):
            raise LeaseLost(f"{self._meta.model_name} {self.pk} was taken over")
        for name, value in fields.items():
            setattr(self, name, value)

    def heartbeat(self):
        self._write()

    def save_while_held(self, **fields):
        """Save what the job has found so far (kept if it then fails), renewing the lease."""
        self._write(**fields)

    def conclude(self, error=None, *, status=None, **fields):
        """Finish the job we hold: succeeded, or failed with AWS's error (`error` is an aws.AwsError)."""
        values = {
            "status": status or (self.FAILED if error else self.SUCCEEDED),
            "finished_at": timezone.now(),
            "error_code": error.code if error else "",
            "error_message": error.message if error else "",
            "lease_expires_at": None,
        }
        self._write(**{**values, **fields})

    # The sweeper's side -----------------------------------------------------------------------------------

    @classmethod
    def stalled(cls, now):
        """Jobs no worker is on: a lease that ran out, or a start that never came."""
        late = now - timedelta(seconds=cls.lease_seconds())
        return cls.objects.filter(
            Q(status=cls.RUNNING, lease_expires_at__lt=now) | Q(status=cls.PENDING, created_at__lt=late)
        )

    def task_options(self):
        """Options for queueing its task: the jobs' own queue when one is set."""
        return {"queue": settings.JOBS_QUEUE} if settings.JOBS_QUEUE else {}

    def task_for_stalled(self):
        return self.TASK

    AUDIT_EVENT = ""  # the audit action of its "requested" row; its outcome row follows it
    AUDIT_TYPE = ""  # the audit target type; the model's name when blank

    def outcome_params(self):
        return {}

    def outcome_scope(self):
        return ""

    def record_outcome(self, error):
        """The audit row that says how the job ended (called in the transaction that ends it), following its
        "requested" row; nothing for kinds that are not audited."""
        if not self.AUDIT_EVENT:
            return
        target_type = self.AUDIT_TYPE or self._meta.model_name
        requested = AuditEvent.objects.filter(
            action=self.AUDIT_EVENT, target_type=target_type, target_id=str(self.pk), outcome=AuditEvent.REQUESTED
        ).first()
        record(
            self.AUDIT_EVENT,
            outcome=AuditEvent.FAILED if error else AuditEvent.SUCCEEDED,
            user=self.requested_by,
            target_type=target_type,
            target_id=self.pk,
            scope=self.outcome_scope(),
            error=error,
            params=self.outcome_params(),
            follows=requested,
        )

    def given_up_message(self):
        return f"No worker finished this in {self.attempts} starts; it was given up."

    def time_out(self, message):
        """Give up on a job nobody could finish; False when it finished meanwhile."""
        finished = (
            type(self)
            .objects.filter(pk=self.pk, status__in=self.open_statuses(), lease_expires_at=self.lease_expires_at)
            .update(
                status=self.TIMED_OUT,
                finished_at=timezone.now(),
                error_code="TimedOut",
                error_message=message,
                lease_owner="",
                lease_expires_at=None,
            )
        )
        if finished:
            self.refresh_from_db()
        return bool(finished)


class WaitingJob:
    """What a job whose run waits between its actions shares (a wizard step, the move to ECS blue/green): `actions`
    (dicts with a key and a status), and a lease under which a waiting run is claimable once it is due. Mixed in
    before Job."""

    def action(self, key):
        return next(a for a in self.actions if a["key"] == key)

    @property
    def done_count(self):
        return sum(1 for action in self.actions if action["status"] == "done")

    def claimable(self, now):
        return super().claimable(now) | Q(status=self.WAITING, wake_at__lte=now)

    def attempts_after_claim(self):
        return Case(When(status=self.WAITING, then=F("attempts")), default=F("attempts") + 1)

    def claim(self, owner=None):
        return super().claim(owner, wake_at=None)

    @classmethod
    def stalled(cls, now):
        late = now - timedelta(seconds=cls.lease_seconds())
        return super().stalled(now) | cls.objects.filter(status=cls.WAITING, wake_at__lt=late)

    @classmethod
    def lease_seconds(cls):
        return settings.PROVISIONING_LEASE_SECONDS

    @classmethod
    def open_statuses(cls):
        return cls.ACTIVE

    def save_progress(self, **fields):
        """Save the checklist after a sub-action is done; any wait it had is over."""
        self._write(actions=self.actions, waiting_since=None, message="", **fields)

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

    def conclude(self, error=None, **fields):
        super().conclude(error, actions=self.actions, message="", **fields)

    def retry(self):
        """Failed or timed out → pending, keeping the sub-actions already done. False if it had not ended so."""
        retried = (
            type(self)
            .objects.filter(pk=self.pk, status__in=(self.FAILED, self.TIMED_OUT))
            .update(
                status=self.PENDING, error_code="", error_message="", finished_at=None, waiting_since=None, attempts=0
            )
        )
        self.refresh_from_db()
        return bool(retried)


class ConnectionCheck(Job):
    """Who the dashboard is signed in to AWS as (STS get_caller_identity), and which of the IAM actions the
    console and the wizard need it lacks (`dashboard.permissions`), run by a worker."""

    TASK = "dashboard.tasks.check_connection"
    AUDIT_EVENT = events.CONNECTION_CHECK

    endpoint_url = models.CharField(max_length=255, blank=True)
    account = models.CharField(max_length=32, blank=True)
    arn = models.CharField(max_length=2048, blank=True)
    permissions = models.JSONField(null=True, blank=True, help_text="The permissions pre-flight's report.")

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self):
        return f"Connection check {self.pk} ({self.status})"

    def outcome_params(self):
        params = {"account": self.account, "arn": self.arn}
        if self.permissions is not None:
            params["denied_actions"] = self.denied_count
        return params

    @property
    def denied_count(self):
        return permissions.denied_count(self.permissions) if self.permissions else 0

    @property
    def denied_by_part(self):
        """[(part, denied actions, the policy JSON that would allow them)] for the parts with any denied."""
        return permissions.denied_by_part(self.permissions) if self.permissions else []


class WorkerHeartbeat(models.Model):
    """Written by a beat-scheduled task on a worker: proof that beat, broker and worker all run."""

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)
    endpoint_url = models.CharField(max_length=255, blank=True, help_text="The AWS endpoint the worker uses.")

    def __str__(self):
        return f"{self.name} seen at {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def latest(cls):
        return cls.objects.filter(name="worker").first()

    @property
    def is_stale(self):
        """Two heartbeats missed: no worker (or no beat) is taking jobs."""
        missed = timedelta(seconds=2 * settings.WORKER_HEARTBEAT_SECONDS + 5)
        return timezone.now() - self.seen_at > missed
