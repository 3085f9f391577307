"""AWS's own rules for the names and values the wizard asks for, and the names it suggests.

Each validator raises ValidationError with a message that says what AWS accepts.
"""

import ipaddress

from django.core.exceptions import ValidationError

from dashboard.validators import pattern_validator as _pattern
from dashboard.validators import validate_profile, validate_region  # noqa: F401 (names.validate_region for callers)

TAG_KEY = "bluegreen-dashboard:setup"


# The setup's name prefixes every resource name; 27 leaves room for the longest suffix (-tg-1) in a
# 32-character target group name, and it must also be valid in an S3 bucket name.
validate_setup_name = _pattern(
    r"[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*",
    "Use lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen.",
    min_length=2,
    max_length=27,
)
validate_ecr_repository = _pattern(
    r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
    "An ECR repository name has lowercase letters, digits and . _ - / between them (e.g. team/web).",
    min_length=2,
    max_length=256,
)
validate_image_tag = _pattern(
    r"[\w][\w.-]*", "An image tag has letters, digits, _ . and -, and starts with a letter, digit or _.", max_length=128
)
validate_ecs_name = _pattern(
    r"[A-Za-z0-9_-]+", "Use letters, digits, hyphens and underscores only (ECS's rule).", max_length=255
)
validate_iam_role = _pattern(
    r"[\w+=,.@-]+", "An IAM role name has letters, digits and + = , . @ _ - only.", max_length=64
)
validate_codecommit_repository = _pattern(
    r"[\w.-]+(?<!\.git)", "Use letters, digits, . _ and - only, not ending in .git.", max_length=100
)
validate_branch = _pattern(
    r"(?!/)(?!.*//)(?!.*\.\.)(?!.*@\{)[^\s~^:?*\[\\]+(?<![/.])(?<!\.lock)",
    "Not a valid Git branch name (no spaces, ~ ^ : ? * [ \\, '..', or a leading or trailing / or .).",
    max_length=256,
)
validate_s3_key = _pattern(r"[^\x00-\x1f\x7f]+(?<!/)", "An object key cannot hold control characters or end in /.")
validate_elb_name = _pattern(
    r"(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
    "Use letters, digits and hyphens, not starting or ending with a hyphen or starting with internal-.",
    max_length=32,
)
validate_codedeploy_name = _pattern(
    r"[\w.+=,@ -]+", "Use letters, digits, spaces and . + = , @ _ - only.", max_length=100
)
validate_pipeline_name = _pattern(r"[A-Za-z0-9.@_-]+", "Use letters, digits and . @ _ - only.", max_length=100)
validate_event_rule = _pattern(r"[A-Za-z0-9._-]+", "Use letters, digits and . _ - only.", max_length=64)
validate_subnet_id = _pattern(r"subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?", "A subnet ID looks like subnet-0123456789abcdef0.")
validate_security_group_id = _pattern(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?", "A security group ID looks like sg-0123abcd.")


def validate_s3_bucket(value):
    _pattern(
        r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
        "A bucket name has lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.",
        min_length=3,
        max_length=63,
    )(value)
    if ".." in value or ".-" in value or "-." in value:
        raise ValidationError("A bucket name cannot have two dots, or a dot next to a hyphen.")
    if value.startswith(("xn--", "sthree-")) or value.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3")):
        raise ValidationError("A bucket name cannot start with xn-- or sthree-, nor end with an S3 reserved suffix.")
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return
    raise ValidationError("A bucket name cannot look like an IP address.")


# Fargate's task sizes: CPU units → the memory values (MiB) it accepts.
FARGATE_MEMORY = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}


def validate_fargate_size(cpu, memory):
    accepted = FARGATE_MEMORY.get(cpu)
    if accepted is None:
        raise ValidationError(f"Fargate accepts CPU units {', '.join(map(str, FARGATE_MEMORY))}.")
    if memory not in accepted:
        low, high = accepted[0], accepted[-1]
        step = accepted[1] - accepted[0]
        raise ValidationError(
            f"Fargate does not run {cpu} CPU units with {memory} MiB: choose {', '.join(map(str, accepted))} MiB."
            if len(accepted) <= 4
            else f"Fargate does not run {cpu} CPU units with {memory} MiB: choose {low}–{high} MiB in steps of {step}."
        )


# ECS blue/green's bake time (deploymentConfiguration.bakeTimeInMinutes): both revisions keep running this long after
# production traffic moved, so a rollback is instant. The tutorial's CodeDeploy keeps the original task set an hour;
# CodePipeline's ECS deploy action gives a whole deployment at most an hour (DeploymentTimeout 1-60 minutes), so half
# of it is the default, and the maximum leaves a quarter for starting tasks and shifting traffic.
DEFAULT_BAKE_MINUTES = 30
MAX_BAKE_MINUTES = 45


def suggested(setup_name, account=""):
    """The names the wizard suggests: the setup's name plus a suffix."""
    return {
        "ecr_repository": f"{setup_name}-images",
        "family": setup_name,
        "codecommit_repository": f"{setup_name}-source",
        "source_bucket": f"{setup_name}-source-{account}" if account else f"{setup_name}-source",
        "load_balancer": f"{setup_name}-alb",
        "target_group_1": f"{setup_name}-tg-1",
        "target_group_2": f"{setup_name}-tg-2",
        "security_group_name": f"{setup_name}-alb",
        "cluster": f"{setup_name}-cluster",
        "service": f"{setup_name}-service",
        "application": f"{setup_name}-app",
        "deployment_group": f"{setup_name}-dg",
        "codedeploy_role": f"{setup_name}-codedeploy",
        "pipeline": f"{setup_name}-pipeline",
        "pipeline_role": f"{setup_name}-codepipeline",
        "artifact_bucket": f"{setup_name}-artifacts-{account}" if account else f"{setup_name}-artifacts",
        "events_role": f"{setup_name}-events",
        "image_rule": f"{setup_name}-image-push",
        "infrastructure_role": f"{setup_name}-ecs-infrastructure",
    }
