"""ECS's own blue/green deployments (deployment controller ECS, strategy BLUE_GREEN, LINEAR or CANARY): the service
deployments of a target whose engine is ECS, as a refresh last saw them (releases/worker/ecs_fetch.py)."""

from datetime import timedelta

from django.db import models

CODEDEPLOY, ECS = "codedeploy", "ecs"
ENGINES = [(CODEDEPLOY, "CodeDeploy blue/green"), (ECS, "ECS blue/green (no CodeDeploy)")]

# botocore's ServiceDeploymentLifecycleStage, in the order a blue/green deployment runs them.
STAGES = (
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
)
ROLLING_BACK = ("ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS")
ROLLED_BACK = (*ROLLING_BACK, "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")  # a rollback begun, whatever came of it
ACTIVE = ("PENDING", "IN_PROGRESS", "STOP_REQUESTED", *ROLLING_BACK)
FINISHED = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
# How the history and insights, which count CodeDeploy's words, count an ECS deployment's end.
OUTCOME = {
    "SUCCESSFUL": "Succeeded",
    "STOPPED": "Stopped",
    "ROLLBACK_SUCCESSFUL": "Failed",
    "ROLLBACK_FAILED": "Failed",
}


class ServiceDeployment(models.Model):
    target = models.ForeignKey("releases.ReleaseTarget", on_delete=models.CASCADE, related_name="service_deployments")
    arn = models.CharField(max_length=2048)
    deployment_id = models.CharField(max_length=64, help_text="The ARN's last part: the console's short name.")
    execution_id = models.CharField(
        max_length=64, blank=True, help_text="The pipeline execution whose ECS deploy action started it, if one did."
    )
    status = models.CharField(max_length=32)
    status_reason = models.TextField(blank=True)
    lifecycle_stage = models.CharField(max_length=64, blank=True)
    stage_since = models.DateTimeField(null=True, blank=True, help_text="AWS's updatedAt when the stage was seen.")
    created_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    # {arn, task_definition, image, target_group, running, requested, production_weight, test_weight}
    source_revisions = models.JSONField(default=list, blank=True)
    target_revision = models.JSONField(default=dict, blank=True)
    hooks = models.JSONField(default=list, blank=True, help_text="lifecycleHookDetails, each with the stage seen.")
    rollback = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True, help_text="Its deploymentConfiguration.")
    traffic = models.JSONField(default=dict, blank=True, help_text="Rule -> target group ARN -> weight, as read.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["target", "arn"], name="service_deployment_unique_per_target")]

    def __str__(self):
        return f"{self.deployment_id} {self.status}"

    @property
    def is_active(self):
        return self.status in ACTIVE

    @property
    def awaiting_hooks(self):
        """The PAUSE hooks waiting for continue_service_deployment."""
        return [h for h in self.hooks if h.get("status") == "AWAITING_ACTION"]

    @property
    def bake_minutes(self):
        return self.config.get("bakeTimeInMinutes")

    @property
    def bake_ends_at(self):
        """When the bake time ends: from when a refresh first saw the stage (AWS's updatedAt then)."""
        if self.status != "IN_PROGRESS" or self.lifecycle_stage != "BAKE_TIME" or not self.stage_since:
            return None
        return self.stage_since + timedelta(minutes=int(self.bake_minutes or 0))

    def steps(self):
        """The lifecycle stages in order, each done, current or to come (a rollback: where it is now)."""
        rows, reached = [], self.lifecycle_stage in STAGES
        current = STAGES.index(self.lifecycle_stage) if reached else -1
        finished = self.status == "SUCCESSFUL"
        for index, stage in enumerate(STAGES):
            if finished or index < current:
                state = "done"
            elif index == current:
                state = "current" if self.is_active else "ended"
            else:
                state = "to come"
            rows.append({"stage": stage, "state": state})
        return rows

    def split(self, rule="production"):
        """(source %, target %) of the rule's forward weights, by the target groups the revisions use."""
        weights = (self.traffic or {}).get(rule) or {}
        if not weights:
            return None
        source_groups = {r.get("target_group") for r in self.source_revisions}
        target_group = self.target_revision.get("target_group")
        total = sum(weights.values()) or 1
        green = round(100 * weights.get(target_group, 0) / total)
        blue = round(100 * sum(w for g, w in weights.items() if g in source_groups) / total)
        return {"blue": blue, "green": green}

    @property
    def outcome(self):
        return OUTCOME.get(self.status, "")
