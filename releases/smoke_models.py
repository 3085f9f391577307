"""Smoke checks: per target, HTTP checks run by a worker against the test listener once the replacement has test
traffic (before the reroute) and against production in the termination wait, and what their outcome does.

A run is a job like any other (dashboard.models.Job), run one attempt per task (releases/worker/smoke_runs.py):
between attempts its row holds no lease but a due time, and the sweeper queues it again if the next attempt's
task is lost or its worker died.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dashboard.models import Job
from releases.smoke_audit import record_finished

TEST, PRODUCTION = "test", "production"
PHASES = [(TEST, "Test listener"), (PRODUCTION, "Production")]


class SmokeSettings(models.Model):
    """A target's smoke checks, the base URLs they run against, and the policy of each phase. Admins edit them."""

    target = models.OneToOneField("releases.ReleaseTarget", on_delete=models.CASCADE, related_name="smoke_settings")
    test_url = models.CharField(max_length=500, blank=True, help_text="Blank: no checks on the test listener.")
    production_url = models.CharField(max_length=500, blank=True, help_text="Blank: no checks on production.")
    # Each: path, status, body_text, json_field, json_value, timeout, count, interval (releases/web/smoke_forms.py).
    checks = models.JSONField(default=list, blank=True)
    block_reroute = models.BooleanField(default=False, help_text="Reroute is refused until the test run passes.")
    reroute_on_pass = models.BooleanField(default=False, help_text="A passing test run asks for the reroute.")
    rollback_on_failure = models.BooleanField(default=False, help_text="A failing test run asks for a rollback.")
    production_rollback_on_failure = models.BooleanField(
        default=False, help_text="A failing production run (termination wait) asks for a rollback."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self):
        return f"Smoke checks of {self.target}"

    def url_for(self, phase):
        return self.test_url if phase == TEST else self.production_url

    def runs_in(self, phase):
        return bool(self.checks and self.url_for(phase))

    def policy_for(self, phase):
        """What the outcome of a run of `phase` does: the flags it is started with (kept on the run)."""
        if phase == TEST:
            return {
                "block_reroute": self.block_reroute,
                "reroute_on_pass": self.reroute_on_pass,
                "rollback_on_failure": self.rollback_on_failure,
            }
        return {"rollback_on_failure": self.production_rollback_on_failure}

    def policy_text(self, phase):
        policy = self.policy_for(phase)
        said = []
        if policy.get("block_reroute"):
            said.append("Reroute waits until they pass")
        if policy.get("reroute_on_pass"):
            said.append("reroute automatically when they pass")
        if policy.get("rollback_on_failure"):
            said.append("stop and roll back automatically when they fail")
        return "; ".join(said).capitalize() if said else "Shown only"


class SmokeRun(Job):
    """One run of a target's checks against one phase of one deployment: each check `count` times, `interval`
    seconds apart, one after the other. It passes when every attempt passed, and fails at the first that did not."""

    SUCCEEDED = PASSED = "passed"
    CANCELLED = "cancelled"
    STATUSES = [
        (Job.PENDING, "Waiting to start"),
        (Job.RUNNING, "Running"),
        (PASSED, "Passed"),
        (Job.FAILED, "Failed"),
        (CANCELLED, "Cancelled"),
        (Job.TIMED_OUT, "Timed out"),
    ]
    TASK = "releases.tasks.smoke_attempt"
    # What is left to do after the run, by its policy (releases/worker/smoke_runs.py follows it up).
    NOTHING, WAITING, REQUESTED, HELD, LEFT_TO_PEOPLE, NOT_POSSIBLE = (
        "",
        "waiting",
        "requested",
        "held",
        "left_to_people",
        "not_possible",
    )

    target = models.ForeignKey("releases.ReleaseTarget", on_delete=models.CASCADE, related_name="smoke_runs")
    deployment_id = models.CharField(max_length=64)
    execution_id = models.CharField(max_length=64, blank=True)
    phase = models.CharField(max_length=16, choices=PHASES)
    status = models.CharField(max_length=16, choices=STATUSES, default=Job.PENDING)
    url = models.CharField(max_length=500, help_text="The base URL the checks ran against.")
    checks = models.JSONField(default=list, help_text="The checks as they were when the run started.")
    policy = models.JSONField(default=dict, blank=True, help_text="The policy as it was when the run started.")
    results = models.JSONField(default=list, blank=True, help_text="Each attempt: check, url, status, ms, ok, reason.")
    next_index = models.PositiveIntegerField(default=0, help_text="The attempt to make next (0: the first).")
    next_at = models.DateTimeField(default=timezone.now, help_text="When the next attempt is due.")
    reason = models.TextField(blank=True, help_text="Why it failed or was cancelled.")
    follow_up = models.CharField(max_length=16, blank=True, help_text="What its policy still has to do.")
    follow_up_note = models.TextField(blank=True)
    action = models.ForeignKey(
        "releases.OperatorAction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audit_event_id = models.BigIntegerField(null=True, blank=True, help_text="Its 'started' audit event.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [  # once per deployment and phase
            models.UniqueConstraint(fields=["target", "deployment_id", "phase"], name="one_smoke_run_per_phase")
        ]

    def __str__(self):
        return f"Smoke checks on {self.get_phase_display()} of {self.deployment_id} ({self.status})"

    @property
    def planned(self):
        """Every attempt of the run, in order: (check number, attempt number of that check)."""
        return [(number, attempt) for number, check in enumerate(self.checks) for attempt in range(check["count"])]

    @property
    def passed(self):
        return self.status == self.PASSED

    @property
    def failed_attempt(self):
        return next((result for result in self.results if not result["ok"]), None)

    def claimable(self, now):
        """Pending, or running with no worker on it (between attempts, or its worker died), once due."""
        free = Q(lease_owner="") | Q(lease_expires_at__lt=now)
        return Q(status__in=(self.PENDING, self.RUNNING), next_at__lte=now) & free

    def attempts_after_claim(self):
        return models.F("attempts") + 1  # starts of the current attempt: reset once it is made

    def record_outcome(self, error):
        """The sweeper gave it up (no worker could make an attempt): shown, and audited like any other end."""
        self.reason = error.message if error else self.reason
        SmokeRun.objects.filter(pk=self.pk).update(reason=self.reason)
        self.target.bump()
        record_finished(self)
