"""Moving a CodeDeploy target to ECS's own blue/green: each dry run, run, roll back and deletion is a job with a
checklist of resumable sub-actions, like a wizard step's (releases/worker/migration/)."""

from django.db import models
from django.db.models import Q

from dashboard import events
from dashboard.models import Job, WaitingJob


class MigrationRun(WaitingJob, Job):
    """One phase of a target's move to ECS blue/green, run by a worker: a dry run (reads only), the run, its roll
    back, or the deletion of the CodeDeploy resources. A run that waits for AWS (a service deployment, tasks to
    start) gives its lease up and is claimed again when it wakes; a retry goes on from the sub-action that failed."""

    DRY_RUN, RUN, ROLLBACK, DELETE = "dry_run", "run", "rollback", "delete"
    PHASES = [(DRY_RUN, "Dry run"), (RUN, "Run"), (ROLLBACK, "Roll back"), (DELETE, "Delete CodeDeploy resources")]
    WAITING = "waiting"
    STATUSES = [*Job.STATUSES, (WAITING, "Waiting")]
    ACTIVE = (Job.PENDING, Job.RUNNING, WAITING)
    TASK = "releases.tasks.run_migration"
    AUDIT_EVENT = events.MIGRATION
    AUDIT_TYPE = "migration_run"
    MAX_ATTEMPTS = 10  # sub-actions already done are skipped: a takeover is cheap

    target = models.ForeignKey("releases.ReleaseTarget", on_delete=models.CASCADE, related_name="migration_runs")
    phase = models.CharField(max_length=16, choices=PHASES)
    status = models.CharField(max_length=16, choices=STATUSES, default=Job.PENDING)
    options = models.JSONField(default=dict, blank=True, help_text="What the page asked for: bake time.")
    actions = models.JSONField(default=list, blank=True, help_text="The checklist: key, label, status, detail.")
    preconditions = models.JSONField(default=list, blank=True, help_text="name, title, ok, message, fix.")
    plan = models.JSONField(default=list, blank=True, help_text="area, change, request: what a run changes.")
    saved = models.JSONField(
        default=dict, blank=True, help_text="What the run found before changing it and what it made: for roll back."
    )
    wake_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="What a waiting run waits for.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(status__in=("pending", "running", "waiting")),
                name="one_active_migration_run",
            )
        ]

    def __str__(self):
        return f"{self.get_phase_display()} of {self.target} ({self.status})"

    def outcome_scope(self):
        return self.target.name

    def outcome_params(self):
        done = [a["label"] for a in self.actions if a["status"] == "done"]
        return {"phase": self.phase, "done": done}

    @property
    def passed(self):
        """Every precondition passed (a dry run's verdict)."""
        return bool(self.preconditions) and all(c.get("ok") is not False for c in self.preconditions)


# Where a target stands: on CodeDeploy, part way (a run that failed after changing something), moved (roll back
# possible), or moved for good (the CodeDeploy resources deleted).
ON_CODEDEPLOY, PART_WAY, MOVED, FINISHED = "codedeploy", "part_way", "moved", "finished"
CHANGING = ("infrastructure_role", "listener_rules", "image_definitions", "pipeline_role", "new_service")


def standing(target):
    """(where the target stands, its latest run that changed AWS and was not rolled back, or None)."""
    runs = MigrationRun.objects.filter(target=target).exclude(phase=MigrationRun.DRY_RUN).order_by("-created_at", "-pk")
    for run in runs:
        if run.phase == MigrationRun.DELETE and run.status == Job.SUCCEEDED:
            return FINISHED, runs.filter(phase=MigrationRun.RUN, status=Job.SUCCEEDED).first()
        if run.phase == MigrationRun.ROLLBACK and run.status == Job.SUCCEEDED:
            return ON_CODEDEPLOY, None
        if run.phase == MigrationRun.RUN:
            if run.status == Job.SUCCEEDED:
                return MOVED, run
            if any(a["status"] == "done" and a["key"] in CHANGING for a in run.actions):
                return PART_WAY, run
    return ON_CODEDEPLOY, None
