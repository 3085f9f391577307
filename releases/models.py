"""Tracked release targets, what the pollers saw of them, and the operator actions taken on them."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from dashboard import aws
from dashboard.audit import AuditEvent, record
from dashboard.models import AwsConnection, Job, connection_of, same_connection
from releases import action_kinds as kinds
from releases.service_deployments import CODEDEPLOY, ECS, ENGINES


def kinds_choices():
    return [(key, kind.label) for key, kind in kinds.KINDS.items()]


APPROVAL_TIMEOUT = timedelta(days=7)  # a manual approval action fails when nobody answers it in 7 days


class ReleaseTarget(models.Model):
    """A pipeline plus the CodeDeploy application and deployment group its deploy action uses, and what those use."""

    name = models.CharField(max_length=100, unique=True, help_text="The pipeline's name; the audit scope.")
    pipeline_name = models.CharField(max_length=100, blank=True, help_text="Blank: an ECS service tracked alone.")
    engine = models.CharField(
        max_length=16, choices=ENGINES, default=CODEDEPLOY, help_text="Who runs its blue/green deployments."
    )
    region = models.CharField(max_length=32, help_text="The AWS region of the pipeline and all it uses.")
    profile = models.CharField(max_length=64, blank=True, help_text="The AWS profile; blank: the default chain.")
    aws_connection = models.ForeignKey(
        AwsConnection, null=True, blank=True, on_delete=models.PROTECT, related_name="targets"
    )
    application_name = models.CharField(max_length=100, blank=True)
    deployment_group_name = models.CharField(max_length=100, blank=True)
    deploy_stage = models.CharField(max_length=100, blank=True)
    deploy_action = models.CharField(max_length=100, blank=True)
    cluster_name = models.CharField(max_length=255, blank=True)
    service_name = models.CharField(max_length=255, blank=True)
    load_balancer_name = models.CharField(max_length=255, blank=True)
    load_balancer_dns = models.CharField(max_length=255, blank=True)
    prod_listener_arn = models.CharField(max_length=2048, blank=True)
    test_listener_arn = models.CharField(max_length=2048, blank=True)
    prod_port = models.PositiveIntegerField(null=True, blank=True)
    test_port = models.PositiveIntegerField(null=True, blank=True)
    prod_protocol = models.CharField(max_length=8, blank=True, help_text="The production listener's, as ELB says.")
    test_protocol = models.CharField(max_length=8, blank=True)
    target_group_names = models.JSONField(default=list, blank=True)
    service_role_arn = models.CharField(max_length=2048, blank=True)
    deployment_config_name = models.CharField(max_length=255, blank=True)
    # Deployment group options that decide the waits: null ready wait = traffic is rerouted at once.
    ready_wait_minutes = models.PositiveIntegerField(null=True, blank=True)
    termination_wait_minutes = models.PositiveIntegerField(null=True, blank=True)
    setup = models.JSONField(default=dict, blank=True, help_text="Pipeline and deployment group details as found.")
    checks = models.JSONField(default=list, blank=True, help_text="Pre-flight checks: name, ok, message, fix.")
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    # Polling: one refresh per target per interval, claimed by a conditional update of poll_due_at.
    poll_due_at = models.DateTimeField(default=timezone.now, db_index=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    poll_failures = models.PositiveIntegerField(default=0)
    poll_error = models.TextField(blank=True)
    active = models.BooleanField(default=False, help_text="An execution, deployment or action is in progress.")
    pipeline_state = models.JSONField(default=dict, blank=True, help_text="Stages and actions as last seen.")
    version = models.PositiveBigIntegerField(default=1, help_text="Bumped on every change the pages show.")
    # Set when a refresh finds the pipeline, application, deployment group, cluster or service gone (gone.py).
    gone_since = models.DateTimeField(null=True, blank=True, help_text="When a refresh first found it gone from AWS.")
    gone_code = models.CharField(max_length=100, blank=True, help_text="AWS's error code saying it does not exist.")
    gone_message = models.TextField(blank=True)
    aws_clock_offset = models.FloatField(
        default=0.0, help_text="Seconds AWS's clock is ahead of the dashboard's, as the last refresh measured it."
    )
    # While events arrive (EventSource), a refresh asks only for what they said moved (releases/worker/polling.py).
    event_hints = models.JSONField(
        default=list, blank=True, help_text="What events said moved since the last refresh: state, executions..."
    )
    full_refresh_at = models.DateTimeField(null=True, blank=True, help_text="When a refresh last read everything.")
    quiet_refreshes = models.PositiveSmallIntegerField(
        default=0, help_text="Refreshes in a row that found nothing new: a running deployment's are spaced out."
    )
    four_eyes_kinds = models.JSONField(
        default=list, blank=True, help_text="The actions a second operator must approve (releases/web/four_eyes.py)."
    )
    # The deployment group's CloudWatch alarms (releases/worker/alarms.py): its alarmConfiguration as last read, and
    # each alarm's state (cloudwatch:DescribeAlarms), read often while a release moves and rarely otherwise.
    alarm_configuration = models.JSONField(default=dict, blank=True, help_text="enabled, ignore_poll_failure, names")
    alarm_states = models.JSONField(default=list, blank=True, help_text="name, state, reason, updated_at")
    alarms_error = models.TextField(blank=True, help_text="AWS's error when the alarms could not be read.")
    alarms_read_at = models.DateTimeField(null=True, blank=True)
    group_read_at = models.DateTimeField(null=True, blank=True, help_text="When the deployment group was last read.")

    class Meta:
        ordering = ["name"]
        constraints = [  # a pipeline is known by its name in an account and region: one target each
            models.UniqueConstraint(
                fields=["pipeline_name", "region", "profile"],
                condition=Q(aws_connection__isnull=True) & ~Q(pipeline_name=""),
                name="one_target_per_pipeline",
            ),
            models.UniqueConstraint(
                fields=["pipeline_name", "aws_connection"],
                condition=~Q(pipeline_name=""),
                name="one_target_per_connection",
            ),
            models.UniqueConstraint(  # an ECS service tracked without a pipeline: one target each
                fields=["cluster_name", "service_name", "region", "profile", "aws_connection"],
                condition=Q(pipeline_name=""),
                name="one_target_per_service",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("release-target", args=[self.pk])

    @classmethod
    def free_name(cls, pipeline_name, connection):
        """The pipeline's name, or, when a pipeline of that name in another account or region is tracked already,
        the name with its connection's (or region's) after an @."""
        where = AwsConnection.objects.filter(pk=connection.connection_id).values_list("name", flat=True).first()
        candidates = [pipeline_name, f"{pipeline_name}@{where or connection.region}"]
        candidates += [f"{candidates[1]}-{n}" for n in range(2, 100)]
        taken = set(cls.objects.filter(name__startswith=pipeline_name).values_list("name", flat=True))
        return next(name for name in candidates if name not in taken)[:100]

    @property
    def is_ecs(self):
        return self.engine == ECS

    def latest_service_deployment(self):
        return self._latest("service", lambda: self.service_deployments.first())

    def connection(self):
        """The AWS connection every call about this target uses: its AwsConnection, or its region and profile."""
        return connection_of(self)

    def peers(self):
        """The targets reached through the same connection (one account and region, one set of credentials)."""
        return ReleaseTarget.objects.filter(
            region=self.region, profile=self.profile, aws_connection=self.aws_connection
        )

    @property
    def failed_checks(self):
        return [check for check in self.checks if check.get("ok") is False]

    @property
    def passed_checks(self):
        return [check for check in self.checks if check.get("ok") is True]

    @property
    def production_url(self):
        return self._url(self.prod_port, self.prod_protocol)

    @property
    def test_url(self):
        return self._url(self.test_port, self.test_protocol)

    def _url(self, port, protocol):
        """The listener's address as AWS names it (the load balancer's DNS name and the listener's port)."""
        if not self.load_balancer_dns or not port:
            return ""
        scheme = "https" if protocol in ("HTTPS", "TLS") else "http"
        default = 443 if scheme == "https" else 80
        return f"{scheme}://{self.load_balancer_dns}" + ("" if port == default else f":{port}") + "/"

    def bump(self):
        """Tell polling pages something changed (call after saving what changed)."""
        ReleaseTarget.objects.filter(pk=self.pk).update(version=F("version") + 1)

    def poll_soon(self):
        """Refresh everything at the next beat (after an action, so its effect shows within seconds)."""
        ReleaseTarget.objects.filter(pk=self.pk).update(poll_due_at=timezone.now(), event_hints=list(self.HINTS))

    HINTS = ("state", "executions", "listing", "deployments")  # releases/worker/fetch.py's parts

    @property
    def events_state(self):
        """What the console says of the events that tell this target's changes: None when no queue is set up."""
        source = EventSource.for_target(self)
        if source is None:
            return None
        if source.healthy():
            return {"arriving": True, "received_at": source.received_at}
        if source.error_code:
            reason = f"{source.error_code}: {source.error_message}"
        else:
            reason = "no listener has read the queue" + (
                f" since {source.listened_at:%H:%M:%S} UTC" if source.listened_at else " yet (manage.py listen_events)"
            )
        return {"arriving": False, "reason": reason, "queue": source.queue_url}

    def latest_deployment(self):
        return self._latest("deployment", lambda: self.deployments.order_by("-created_at", "-id").first())

    def latest_release_deployment(self):
        """The newest deployment that is not a rollback."""
        return self._latest("release", lambda: self.deployments.filter(rollback_of="").first())

    def waiting_approvals(self):
        """The manual approval actions waiting for an answer, as last seen: where they wait, what their declaration
        says (summary and link) and when they expire (AWS times them out 7 days after they start:
        https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html)."""
        declared = {(a["stage"], a["action"]): a for a in self.pipeline_state.get("approvals", [])}
        waiting = []
        for stage in self.pipeline_state.get("stages", []):
            for action in stage["actions"]:
                approval = declared.get((stage["name"], action["name"]))
                if approval is None or action["status"] != "InProgress":
                    continue
                since = datetime.fromisoformat(action["changed_at"]) if action.get("changed_at") else None
                expires_at = since + APPROVAL_TIMEOUT if since else None
                where = {"execution_id": stage["execution_id"], "since": since, "expires_at": expires_at}
                waiting.append({**approval, **where})
        return waiting

    def latest_execution(self):
        return self._latest("execution", lambda: self.executions.order_by("-started_at", "-id").first())

    def _latest(self, key, query):
        """Asked for several times while one page is drawn: read once per instance (until refresh_from_db)."""
        cache = self.__dict__.setdefault("_latest_cache", {})
        if key not in cache:
            cache[key] = query()
        return cache[key]

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_latest_cache", None)
        super().refresh_from_db(*args, **kwargs)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Freeze(models.Model):
    """A freeze window on a target: from `starts_at` until `ends_at` (or until an admin ends it early), release
    changes and reroutes are refused unless an admin overrides one with a reason (releases/freezes.py)."""

    target = models.ForeignKey(ReleaseTarget, on_delete=models.CASCADE, related_name="freezes")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reason = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When an admin ended it early.")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A weekly schedule (TIME_ZONE): in force only on these days (0 = Monday) from `daily_from` to `daily_until`,
    # between starts_at and ends_at. No days: in force the whole time.
    weekdays = models.JSONField(default=list, blank=True)
    daily_from = models.TimeField(null=True, blank=True)
    daily_until = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["-ends_at"]

    def __str__(self):
        return f"{self.target} frozen until {self.ends_at:%Y-%m-%d %H:%M}"

    @classmethod
    def in_force(cls, target, at=None):
        """The freeze in force on `target` at `at` (now), or None."""
        at = at or timezone.now()
        current = cls.objects.filter(target=target, starts_at__lte=at, ends_at__gt=at, ended_at__isnull=True)
        return next((freeze for freeze in current.select_related("set_by") if freeze.applies_at(at)), None)

    @classmethod
    def scheduled(cls, target):
        """The weekly freezes not over yet, in force now or not (the console lists them for admins)."""
        now = timezone.now()
        return cls.objects.filter(target=target, ends_at__gt=now, ended_at__isnull=True).exclude(weekdays=[])

    def applies_at(self, at):
        if not self.weekdays:
            return True
        local = timezone.localtime(at)
        return local.weekday() in self.weekdays and self.daily_from <= local.time() < self.daily_until

    def end_at(self, at=None):
        """When this freeze stops refusing, seen from `at`: today's window's end for a weekly one."""
        if not self.weekdays:
            return self.ends_at
        local = timezone.localtime(at or timezone.now())
        return min(self.ends_at, local.replace(hour=self.daily_until.hour, minute=self.daily_until.minute, second=0))

    @property
    def schedule(self):
        """ "Mon, Fri 16:00–23:59" for a weekly freeze, else ""."""
        if not self.weekdays:
            return ""
        days = ", ".join(WEEKDAYS[day] for day in sorted(self.weekdays))
        return f"{days} {self.daily_from:%H:%M}–{self.daily_until:%H:%M}"


class FourEyesRequest(models.Model):
    """An action that waits for a second operator: approved (the action is then requested, once), declined, or
    expired after FOUR_EYES_MINUTES."""

    PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
    STATUSES = [(s, s.title()) for s in (PENDING, APPROVED, DECLINED)]

    target = models.ForeignKey(ReleaseTarget, on_delete=models.CASCADE, related_name="four_eyes_requests")
    kind = models.CharField(max_length=32, choices=kinds_choices())
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    expected = models.JSONField(default=dict, blank=True, help_text="The ids the requester saw.")
    extra = models.JSONField(default=dict, blank=True)
    reason = models.TextField()
    override_reason = models.TextField(blank=True, help_text="An admin requester's reason to send it during a freeze.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    action = models.ForeignKey("OperatorAction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.target} ({self.shown_status})"

    @property
    def expired(self):
        return self.status == self.PENDING and self.expires_at <= timezone.now()

    @property
    def shown_status(self):
        return "expired" if self.expired else self.status


class Execution(models.Model):
    """A CodePipeline execution of the target's pipeline, with the source revisions it carries."""

    target = models.ForeignKey(ReleaseTarget, on_delete=models.CASCADE, related_name="executions")
    execution_id = models.CharField(max_length=64)
    status = models.CharField(max_length=32)
    status_summary = models.TextField(blank=True)
    trigger = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    source_revisions = models.JSONField(default=list, blank=True)
    image_digest = models.CharField(max_length=255, blank=True)
    image_tag = models.CharField(max_length=255, blank=True)
    image_uri = models.CharField(max_length=1024, blank=True)
    image_pushed_at = models.DateTimeField(null=True, blank=True)
    source_revision = models.CharField(max_length=255, blank=True, help_text="Source commit or object version.")
    deployment_id = models.CharField(max_length=32, blank=True)
    stages = models.JSONField(default=dict, blank=True, help_text="Stage name -> status in this execution.")
    details_fetched = models.BooleanField(default=False, help_text="Its action details (image) were read once.")
    started_recorded = models.BooleanField(default=False)

    ACTIVE = ("InProgress", "Stopping")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["target", "execution_id"], name="execution_unique_per_target")]

    def __str__(self):
        return f"{self.execution_id} {self.status}"

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def duration(self):
        if self.started_at and self.updated_at and not self.is_active:
            return self.updated_at - self.started_at
        return None


class Deployment(models.Model):
    """A CodeDeploy deployment of the target's deployment group, with its ECS target as last seen."""

    NOT_STARTED = ("Created", "Queued")
    ACTIVE = (*NOT_STARTED, "InProgress", "Baking", "Ready")
    FINISHED = ("Succeeded", "Failed", "Stopped")
    # CodePipeline's CodeDeployToECS action gives up after five days (CodePipeline quotas); the deployment may
    # carry on without the pipeline.
    DEPLOY_ACTION_TIMEOUT = timedelta(days=5)
    # CodeDeploy's ECS lifecycle events, in the order they run (AppSpec "hooks" section, ECS deployments).
    LIFECYCLE_EVENTS = (
        "BeforeInstall",
        "Install",
        "AfterInstall",
        "AllowTestTraffic",
        "AfterAllowTestTraffic",
        "BeforeAllowTraffic",
        "AllowTraffic",
        "AfterAllowTraffic",
    )
    RECENT_WITH_DETAILS = 5  # the newest deployments whose details (task sets, lifecycle) a refresh may still need

    target = models.ForeignKey(ReleaseTarget, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=64)
    execution_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32)
    creator = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)
    rollback_deployment_id = models.CharField(max_length=64, blank=True)
    rollback_of = models.CharField(max_length=64, blank=True, help_text="The deployment this one rolls back.")
    rollback_message = models.TextField(blank=True)
    termination_wait_started = models.BooleanField(default=False)
    lifecycle_events = models.JSONField(default=list, blank=True)
    task_sets = models.JSONField(default=list, blank=True)
    task_definition_arn = models.CharField(max_length=2048, blank=True, help_text="Replacement task definition.")
    ready_wait_ends_at = models.DateTimeField(null=True, blank=True)
    termination_wait_ends_at = models.DateTimeField(null=True, blank=True)
    info = models.JSONField(default=dict, blank=True, help_text="The rest of get_deployment's answer.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["target", "deployment_id"], name="deployment_unique_per_target")]

    def __str__(self):
        return f"{self.deployment_id} {self.status}"

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def duration(self):
        if self.created_at and self.completed_at:
            return self.completed_at - self.created_at
        return None

    def task_set(self, label):
        return next((ts for ts in self.task_sets if ts.get("label") == label), None)

    @property
    def blue(self):
        return self.task_set("BLUE")

    @property
    def green(self):
        return self.task_set("GREEN")

    @property
    def green_weight(self):
        green = self.green
        return round(float(green.get("weight") or 0)) if green else 0

    @property
    def blue_weight(self):
        blue = self.blue
        if blue:
            return round(float(blue.get("weight") or 0))
        return 0 if self.green else 100

    @property
    def is_ready_wait(self):
        return self.status == "Ready"

    @property
    def is_termination_wait(self):
        return self.status == "InProgress" and self.termination_wait_started

    @property
    def needs_action(self):
        return self.is_ready_wait or self.is_termination_wait

    @property
    def pipeline_gives_up_at(self):
        """When the pipeline's deploy action times out, for an active deployment a pipeline started (the action
        creates the deployment as it starts, so both times are AWS's)."""
        if not (self.is_active and self.execution_id and self.created_at and not self.rollback_of):
            return None
        return self.created_at + self.DEPLOY_ACTION_TIMEOUT


class OperatorAction(Job):
    """One operator action on a target, a job like any other: requested → sent → confirmed | rejected | failed.

    At most one open (requested or sent) action per target, kind and subject (the deployment or execution it
    acts on), by a partial unique index, so a double click, a reload or two operators at once make one row and
    one AWS call, while an action on a newer deployment is not held up by one on an older. The worker that moves the row
    to sent holds a lease while it calls AWS; a sent row whose lease ran out (its worker died mid-call) is not sent
    again blindly: the sweeper has it reconciled from what AWS shows (`releases.action_sending.reconcile`).
    """

    RELEASE_CHANGE, STOP_EXECUTION, RETRY_STAGE = kinds.RELEASE_CHANGE, kinds.STOP_EXECUTION, kinds.RETRY_STAGE
    REROUTE, ROLLBACK, TERMINATE_ORIGINAL = kinds.REROUTE, kinds.ROLLBACK, kinds.TERMINATE_ORIGINAL
    REDEPLOY_PREVIOUS, APPROVE, REJECT = kinds.REDEPLOY_PREVIOUS, kinds.APPROVE, kinds.REJECT
    CONTINUE_HOOK = kinds.CONTINUE_HOOK
    KINDS = [(key, kind.label) for key, kind in kinds.KINDS.items()]
    # Job's statuses under the names an operator reads: pending is requested, running is sent.
    PENDING = REQUESTED = "requested"
    RUNNING = SENT = "sent"
    SUCCEEDED = CONFIRMED = "confirmed"
    REJECTED = "rejected"
    STATUSES = [(s, s.title()) for s in (REQUESTED, SENT, CONFIRMED, REJECTED, Job.FAILED)]
    STATUSES += [(Job.TIMED_OUT, "Timed out")]
    OPEN = (REQUESTED, SENT)
    TASK = "releases.tasks.send_action"
    RECONCILE_TASK = "releases.tasks.reconcile_action"

    target = models.ForeignKey(ReleaseTarget, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=32, choices=KINDS)
    status = models.CharField(max_length=16, choices=STATUSES, default=REQUESTED)
    params = models.JSONField(default=dict, blank=True)
    subject = models.CharField(
        max_length=128, blank=True, help_text="The deployment or pipeline execution it acts on; blank for none."
    )
    reason = models.TextField()
    request_id = models.CharField(max_length=128, blank=True)
    result = models.JSONField(default=dict, blank=True)
    audit_event_id = models.BigIntegerField(null=True, blank=True, help_text="The 'requested' audit event.")
    actor_name = models.CharField(
        max_length=64, blank=True, help_text="Who asked when no person did: the smoke checks' policy."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "kind", "subject"],
                condition=Q(status__in=("requested", "sent")),
                name="one_open_action_per_subject",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.target} ({self.status})"

    @property
    def is_open(self):
        return self.status in self.OPEN

    @property
    def requester(self):
        """Who asked, as pages and the API name them."""
        return self.requested_by.get_username() if self.requested_by else (self.actor_name or "someone")

    @staticmethod
    def subject_of(params):
        return params.get("deployment_id") or params.get("execution_id") or ""

    def claimable(self, now):
        """Only a requested action is sent; a sent one is reconciled (`claim_for_reconcile`), never re-sent."""
        return Q(status=self.REQUESTED)

    def claim_sent(self, owner=None):
        """Take a sent action whose worker's lease ran out, to find out from AWS whether it was applied."""
        now = timezone.now()
        self.lease_owner = owner or uuid.uuid4().hex
        claimed = OperatorAction.objects.filter(pk=self.pk, status=self.SENT, lease_expires_at__lt=now).update(
            lease_owner=self.lease_owner, lease_expires_at=self._lease(now), attempts=F("attempts") + 1
        )
        self.refresh_from_db()
        return bool(claimed)

    def task_for_stalled(self):
        return self.RECONCILE_TASK if self.status == self.SENT else self.TASK

    def given_up_message(self):
        if self.status != self.SENT:
            return super().given_up_message()
        return (
            f"No worker could ask AWS what came of it in {self.attempts} tries: whether AWS applied it is unknown. "
            "Look at the deployment or execution before asking again."
        )

    def wait_for_reconcile(self, error, seconds):
        """Still sent, its answer lost: the lease ends in `seconds`, after which AWS's state is asked."""
        self._write(
            error_code=error.code,
            error_message=f"AWS's answer never came ({error.code}); checking what AWS shows.",
            lease_expires_at=timezone.now() + timedelta(seconds=seconds),
        )

    def outcome_unknown_recorded(self):
        return self._audit_rows().filter(outcome=AuditEvent.UNKNOWN).exists()

    def record_outcome_unknown(self, error=None):
        """The audit row that says what is known: it was sent, AWS's answer did not come, AWS is being asked."""
        self._record(
            AuditEvent.UNKNOWN,
            error or self._LOST_WORKER,
            {"kind": self.kind, **self.params, "status": "outcome unknown, checking AWS"},
        )

    _LOST_WORKER = aws.AwsError("WorkerLost", "The worker sending it stopped before AWS's answer came.")

    def _audit_rows(self):
        return AuditEvent.objects.filter(
            action=kinds.KINDS[self.kind].event, target_type="action", target_id=str(self.pk)
        )

    def record_outcome(self, error):
        """The audit row that closes the action's `requested` row: AWS's request id, or how it failed."""
        params = {"kind": self.kind, **self.params}
        params.update({"status": self.status} if error else self.result)
        outcome = AuditEvent.FAILED if error else AuditEvent.SUCCEEDED
        if self.status == self.TIMED_OUT and self.started_at:  # sent, and no worker could ask AWS what came of it
            outcome = AuditEvent.UNKNOWN
        self._record(outcome, error, params)

    def _record(self, outcome, error, params):
        record(
            kinds.KINDS[self.kind].event,
            outcome=outcome,
            user=self.requested_by,
            actor_name=self.actor_name,
            target_type="action",
            target_id=self.pk,
            scope=self.target.name,
            reason=self.reason,
            params=params,
            request_id="" if error else self.request_id,
            error=error,
            follows=AuditEvent.objects.filter(pk=self.audit_event_id).first() if self.audit_event_id else None,
        )


class TrackRequest(Job):
    """A request to track a pipeline, run by a worker (web never calls AWS)."""

    TASK = "releases.tasks.track"

    pipeline_name = models.CharField(max_length=100, blank=True)
    cluster_name = models.CharField(max_length=255, blank=True, help_text="With service_name: an ECS service alone.")
    service_name = models.CharField(max_length=255, blank=True)
    target = models.ForeignKey(ReleaseTarget, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Track {self.what} ({self.status})"

    @property
    def what(self):
        return self.pipeline_name or f"{self.cluster_name}/{self.service_name}"


class EventSource(models.Model):
    """The SQS queue that an EventBridge rule fills with CodePipeline, CodeDeploy and ECR events of one account
    and region, long-polled by `manage.py listen_events`: an event makes the targets it names due at once.

    Healthy while the listener reads it without error; otherwise polling keeps its fast cadence and the console
    says events are not arriving, and why.
    """

    region = models.CharField(max_length=32)
    profile = models.CharField(max_length=64, blank=True)
    aws_connection = models.ForeignKey(AwsConnection, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    queue_url = models.CharField(max_length=2048)
    rule_name = models.CharField(max_length=64, blank=True)
    listened_at = models.DateTimeField(null=True, blank=True, help_text="The last receive AWS answered.")
    received_at = models.DateTimeField(null=True, blank=True, help_text="When the last event arrived.")
    received = models.PositiveBigIntegerField(default=0)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)
    error_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True, help_text="The listener reading it.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    WAIT_SECONDS = 10  # each receive's long poll (SQS allows up to 20; below AWS_READ_TIMEOUT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["region", "profile"],
                condition=Q(aws_connection__isnull=True),
                name="one_event_source_per_connection",
            ),
            models.UniqueConstraint(fields=["aws_connection"], name="one_event_source_per_aws_connection"),
        ]

    def __str__(self):
        return self.queue_url

    def connection(self):
        return connection_of(self)

    @staticmethod
    def stale_after():
        """A queue not read for this long has no listener: its events are not arriving."""
        return timedelta(seconds=3 * EventSource.WAIT_SECONDS + 10)

    def healthy(self, now=None):
        now = now or timezone.now()
        return not self.error_code and bool(self.listened_at) and now - self.listened_at <= self.stale_after()

    @classmethod
    def for_target(cls, target):
        return cls.objects.filter(**same_connection(target.connection())).first()

    @property
    def key(self):
        return (self.region, self.profile, self.aws_connection_id)

    @classmethod
    def healthy_connections(cls, now=None):
        """(region, profile, AwsConnection id) of every queue whose events arrive."""
        return {s.key for s in cls.objects.all() if s.healthy(now)}


from releases.migration_models import MigrationRun  # noqa: E402,F401 (a model of this app)
from releases.service_deployments import ServiceDeployment  # noqa: E402,F401 (a model of this app)
from releases.smoke_models import SmokeRun, SmokeSettings  # noqa: E402, F401 - the app's models are found here
