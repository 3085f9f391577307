"""What a target's smoke checks mean now, from the database only: which phase a deployment is in, and whether the
block policy refuses a reroute (read by the console, the API, request_action and the workers)."""

from releases.models import SmokeRun, SmokeSettings
from releases.smoke_models import PRODUCTION, TEST

__all__ = ["PRODUCTION", "TEST", "phase_now", "reroute_block", "runs_of", "settings_of"]

BLOCKED = {
    SmokeRun.FAILED: "Smoke checks failed",
    SmokeRun.TIMED_OUT: "Smoke checks did not finish",
    SmokeRun.CANCELLED: "Smoke checks were cancelled",
}


def settings_of(target):
    return SmokeSettings.objects.filter(target=target).first()


def phase_now(deployment):
    """The phase whose checks apply to the deployment now: TEST once the test listener sends to the replacement and
    before production traffic moves (AllowTestTraffic done, or Ready), PRODUCTION in the termination wait."""
    if deployment is None or deployment.rollback_of or not deployment.is_active:
        return None
    if deployment.is_termination_wait:
        return PRODUCTION
    lifecycle = {event["name"]: event["status"] for event in deployment.lifecycle_events}
    if lifecycle.get("AllowTraffic", "Pending") != "Pending" or deployment.green_weight > 0:
        return None  # production traffic is moving: too late for the test listener, too early for production
    if deployment.status == "Ready" or lifecycle.get("AllowTestTraffic") == "Succeeded":
        return TEST
    return None


def runs_of(target, deployment):
    """phase -> the run of that phase for `deployment`."""
    if deployment is None:
        return {}
    return {run.phase: run for run in target.smoke_runs.filter(deployment_id=deployment.deployment_id)}


def reroute_block(target, settings=None, deployment=None):
    """Why the block policy refuses Reroute now ("Waiting for smoke checks", "Smoke checks failed"), or ""."""
    settings = settings or settings_of(target)
    if settings is None or not settings.block_reroute or not settings.runs_in(TEST):
        return ""
    deployment = deployment or target.latest_release_deployment()
    if deployment is None:
        return ""
    run = runs_of(target, deployment).get(TEST)
    if run is None or not run.is_finished:
        return "Waiting for smoke checks"
    return "" if run.passed else BLOCKED.get(run.status, "Smoke checks failed")
