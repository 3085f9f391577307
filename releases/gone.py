"""What the dashboard tracks, found gone from AWS: which thing, since when, and the way back.

A refresh that AWS answers with "does not exist" for the pipeline, the CodeDeploy application or deployment group,
or the ECS cluster or service marks the target gone (`on_failure`); the next refresh that reads it again clears
the mark (`CLEARED`). The pages then say what is gone and offer the setup step that makes it, and untracking.
"""

from dataclasses import dataclass

from django.utils import timezone

from provisioning.models import Setup
from provisioning.worker import steps

# AWS error code -> (what it is, the target's field naming it, the setup wizard's step that creates it)
GONE_CODES = {
    "PipelineNotFoundException": ("pipeline", "pipeline_name", "pipeline"),
    "ApplicationDoesNotExistException": ("CodeDeploy application", "application_name", "codedeploy"),
    "DeploymentGroupDoesNotExistException": ("deployment group", "deployment_group_name", "codedeploy"),
    "ClusterNotFoundException": ("ECS cluster", "cluster_name", "service"),
    "ServiceNotFoundException": ("ECS service", "service_name", "service"),
}
CLEARED = {"gone_since": None, "gone_code": "", "gone_message": ""}


def is_gone_error(error):
    return getattr(error, "code", "") in GONE_CODES


def on_failure(target, error):
    """The fields a failed refresh writes: the gone mark for a NotFound answer, nothing for other errors
    (a throttled refresh of something already gone keeps the mark as it is)."""
    if not is_gone_error(error):
        return {}
    return {"gone_since": target.gone_since or timezone.now(), "gone_code": error.code, "gone_message": error.message}


@dataclass
class Gone:
    since: object
    what: str
    name: str
    code: str
    message: str
    step_key: str
    step_title: str
    setup: object  # the wizard's Setup that made this pipeline, if it did

    @property
    def sentence(self):
        return f"the {self.what} {self.name} no longer exists"


def describe(target):
    """The target's gone state for the pages, or None while AWS still has everything it tracks."""
    if not target.gone_since:
        return None

    what, field, step_key = GONE_CODES.get(target.gone_code, ("resource", "pipeline_name", "pipeline"))
    setup = Setup.objects.filter(config__pipeline=target.pipeline_name).order_by("-created_at").first()
    return Gone(
        since=target.gone_since,
        what=what,
        name=getattr(target, field) or target.pipeline_name,
        code=target.gone_code,
        message=target.gone_message,
        step_key=step_key,
        step_title=steps.get(step_key).TITLE,
        setup=setup,
    )
