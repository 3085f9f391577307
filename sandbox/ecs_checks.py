"""What ECS refuses in a blue/green service's CreateService or UpdateService, before moto stores anything.

Ranges and rules from botocore's ECS model (DeploymentConfiguration, LinearConfiguration, CanaryConfiguration,
DeploymentLifecycleHook, DeploymentLifecycleHookTimeoutConfiguration, AdvancedConfiguration) and the developer guide
("Application Load Balancer resources for blue/green deployments": two target groups, the listener rules, and the
infrastructure role ECS assumes, trusted by ecs.amazonaws.com). Every refusal is InvalidParameterException.
"""

import json

from sandbox.api import AwsErrorResponse
from sandbox.aws import ClientError
from sandbox.faults import ECS_HOOK_STAGES

BLUE_GREEN_STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
TRAFFIC_STAGES = ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")


def _refuse(message: str):
    raise AwsErrorResponse("InvalidParameterException", message)


def _in_range(value, low: float, high: float, name: str, tenths: bool = False) -> None:
    if value is None:
        return
    if not low <= float(value) <= high or (tenths and abs(round(float(value) * 10) - float(value) * 10) > 1e-6):
        step = " in steps of 0.1" if tenths else ""
        _refuse(f"{name} must be from {low:g} to {high:g}{step}.")


def check_blue_green(rs, config: dict, load_balancers: list[dict]) -> None:
    strategy = config.get("strategy")
    if config.get("linearConfiguration") and strategy != "LINEAR":
        _refuse("linearConfiguration is only valid with the LINEAR deployment strategy.")
    if config.get("canaryConfiguration") and strategy != "CANARY":
        _refuse("canaryConfiguration is only valid with the CANARY deployment strategy.")
    linear, canary = config.get("linearConfiguration") or {}, config.get("canaryConfiguration") or {}
    _in_range(linear.get("stepPercent"), 3.0, 100.0, "linearConfiguration.stepPercent", tenths=True)
    _in_range(linear.get("stepBakeTimeInMinutes"), 0, 1440, "linearConfiguration.stepBakeTimeInMinutes")
    _in_range(canary.get("canaryPercent"), 0.1, 100.0, "canaryConfiguration.canaryPercent", tenths=True)
    _in_range(canary.get("canaryBakeTimeInMinutes"), 0, 1440, "canaryConfiguration.canaryBakeTimeInMinutes")
    _in_range(config.get("bakeTimeInMinutes"), 0, 1440, "bakeTimeInMinutes")
    for hook in config.get("lifecycleHooks") or []:
        _check_hook(rs, hook)
    alarms = config.get("alarms") or {}
    if alarms.get("enable") and not alarms.get("alarmNames"):
        _refuse("alarms.alarmNames must name at least one CloudWatch alarm when alarms are enabled.")
    _check_load_balancer(rs, strategy, load_balancers)


def _check_hook(rs, hook: dict) -> None:
    stages = hook.get("lifecycleStages") or []
    if not stages:
        _refuse("A deployment lifecycle hook needs lifecycleStages.")
    unknown = [s for s in stages if s not in ECS_HOOK_STAGES]
    if unknown:
        _refuse(f"Unknown lifecycle stage {unknown[0]}: use {', '.join(ECS_HOOK_STAGES)}.")
    if hook.get("targetType") == "PAUSE":
        wrong = [s for s in stages if s in TRAFFIC_STAGES]
        if wrong:
            _refuse(f"PAUSE hooks cannot be configured at the {wrong[0]} stage; only AWS_LAMBDA hooks can.")
    else:
        if not hook.get("hookTargetArn"):
            _refuse("An AWS_LAMBDA lifecycle hook needs hookTargetArn, the Lambda function's ARN.")
        if not hook.get("roleArn"):
            _refuse("An AWS_LAMBDA lifecycle hook needs roleArn, the role Amazon ECS invokes the function with.")
        _check_role(rs, hook["roleArn"])
    timeout = hook.get("timeoutConfiguration") or {}
    _in_range(timeout.get("timeoutInMinutes"), 1, 20160, "timeoutConfiguration.timeoutInMinutes")


def _check_load_balancer(rs, strategy: str, load_balancers: list[dict]) -> None:
    advanced = [lb for lb in load_balancers if lb.get("advancedConfiguration")]
    if not advanced:
        _refuse(
            f"The {strategy} deployment strategy needs a load balancer with advancedConfiguration "
            "(alternateTargetGroupArn, productionListenerRule, roleArn)."
        )
    lb = advanced[0]
    conf = lb["advancedConfiguration"]
    for key in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
        if not conf.get(key):
            _refuse(f"advancedConfiguration.{key} is required for the {strategy} deployment strategy.")
    groups = [lb.get("targetGroupArn"), conf["alternateTargetGroupArn"]]
    if not groups[0] or groups[0] == groups[1]:
        _refuse("The alternate target group must differ from the load balancer's target group.")
    try:
        rs.aws.elbv2.describe_target_groups(TargetGroupArns=groups)
    except ClientError as exc:
        _refuse(f"The target groups {', '.join(groups)} could not be found: {exc.response['Error']['Message']}")
    for key in ("productionListenerRule", "testListenerRule"):
        rule = conf.get(key)
        if not rule:
            continue
        try:
            weights = rs.aws.rule_weights(rule)
        except ClientError as exc:
            _refuse(f"The {key} {rule} could not be found: {exc.response['Error']['Message']}")
        if not set(weights) & set(groups):
            _refuse(f"The {key} {rule} must forward to the service's target groups.")
    _check_role(rs, conf["roleArn"])


def _check_role(rs, role_arn: str) -> None:
    """The role must exist and trust ecs.amazonaws.com (the guide's infrastructure role and Lambda hook role)."""
    try:
        role = rs.aws.iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    except ClientError:
        role = {}
    if role.get("Arn") != role_arn:
        _refuse(f"Unable to assume the role {role_arn}: it does not exist.")
    trust = role.get("AssumeRolePolicyDocument") or {}
    if "ecs.amazonaws.com" not in (trust if isinstance(trust, str) else json.dumps(trust)):
        _refuse(f"Unable to assume the role {role_arn}: its trust policy does not allow ecs.amazonaws.com.")


# The deployment controller changes UpdateService accepts (ECS developer guide, "Update Amazon ECS service
# parameters", Deployment controller): CODE_DEPLOY to ECS or EXTERNAL, ECS to EXTERNAL, EXTERNAL to ECS; nothing
# goes back to CODE_DEPLOY.
CONTROLLER_CHANGES = {("CODE_DEPLOY", "ECS"), ("CODE_DEPLOY", "EXTERNAL"), ("ECS", "EXTERNAL"), ("EXTERNAL", "ECS")}


def check_controller_change(before: dict, params: dict, deploying: bool) -> None:
    """Refuse a deployment controller change the guide does not list, or one it rules out: during an ongoing
    service deployment, or away from ECS while the configuration has a BLUE_GREEN strategy, alarms or a circuit
    breaker."""
    wanted = (params.get("deploymentController") or {}).get("type")
    current = (before.get("deploymentController") or {}).get("type", "ECS")
    if not wanted or wanted == current:
        return
    if (current, wanted) not in CONTROLLER_CHANGES:
        _refuse(f"The deployment controller of a service cannot be updated from {current} to {wanted}.")
    if deploying:
        _refuse("The deployment controller of a service cannot be updated during an ongoing service deployment.")
    config = before.get("deploymentConfiguration") or {}
    if current == "ECS" and (
        config.get("strategy") in BLUE_GREEN_STRATEGIES
        or (config.get("alarms") or {}).get("enable")
        or (config.get("deploymentCircuitBreaker") or {}).get("enable")
    ):
        _refuse(
            "The deployment controller of a service cannot be updated from ECS while its deploymentConfiguration "
            "includes alarms, a deployment circuit breaker or a blue/green deployment strategy."
        )
