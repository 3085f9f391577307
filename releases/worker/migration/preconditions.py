"""What must hold before a CodeDeploy target moves to ECS blue/green: the ECS developer guide's prerequisites
("Migrating from a CodeDeploy blue/green to an Amazon ECS blue/green service deployment", "Application Load
Balancer resources for blue/green deployments") checked against what AWS answered. Pure: reads `Facts`."""

from releases.worker.preflight import check
from releases.worker.tracking import trusts


def run(facts):
    return [
        pipeline(facts),
        idle(facts),
        service(facts),
        target_groups(facts),
        listeners(facts),
        load_balancer(facts),
        source(facts),
        new_service(facts),
        role(facts),
    ]


def pipeline(facts):
    title = "Pipeline deploys with CodeDeploy"
    if not facts.deploy_action:
        return check(
            "pipeline",
            title,
            False,
            f"Pipeline {facts.target.pipeline_name} has no Amazon ECS (Blue/Green) deploy action (CodeDeployToECS).",
            "Only a pipeline that deploys through CodeDeploy can be moved; an ECS deploy action already is ECS's own.",
        )
    stage, name = facts.deploy_stage, facts.deploy_action["name"]
    return check("pipeline", title, True, f"Stage {stage} deploys with action {name} (CodeDeployToECS).")


def idle(facts):
    """Guide: "Turn off CodeDeploy automation" and "Verify that there are no ongoing service deployments"."""
    busy = []
    if facts.deploying:
        busy.append(f"CodeDeploy deployment {', '.join(facts.deploying)} has not finished")
    if facts.executing:
        busy.append(f"pipeline execution {', '.join(facts.executing)} is in progress")
    if busy:
        return check(
            "idle",
            "Nothing deploying",
            False,
            "; ".join(busy).capitalize() + ".",
            "Let it finish (or stop it) from the release console, then run the dry run again.",
        )
    return check("idle", "Nothing deploying", True, "No CodeDeploy deployment or pipeline execution is in progress.")


def service(facts):
    title = "ECS service on the CODE_DEPLOY controller"
    name = f"{facts.cluster}/{facts.service_name}"
    if facts.group_error:
        return check("service", title, False, f"CodeDeploy answered {facts.group_error}.", "Track the target again.")
    if not facts.service:
        return check("service", title, False, f"ECS does not show an ACTIVE service {name}.", "Track the target again.")
    controller = (facts.service.get("deploymentController") or {}).get("type", "ECS")
    if controller != "CODE_DEPLOY":
        return check(
            "service",
            title,
            False,
            f"Service {name} has the deployment controller {controller}, not CODE_DEPLOY: CodeDeploy does not deploy "
            "it, so there is nothing to move.",
            "Track its pipeline or the service itself as an ECS blue/green target instead.",
        )
    if not facts.primary or not facts.container[0]:
        return check(
            "service",
            title,
            False,
            f"Service {name} has no PRIMARY task set behind a load balancer.",
            "Release once through CodeDeploy so that the service has a primary task set.",
        )
    running = facts.primary.get("taskDefinition", "").rsplit("/", 1)[-1]
    return check("service", title, True, f"Service {name} uses CODE_DEPLOY; its primary task set runs {running}.")


def target_groups(facts):
    title = "Two target groups"
    if len(facts.target_groups) != 2 or not facts.alternate_group:
        return check(
            "target_groups",
            title,
            False,
            f"The deployment group names {len(facts.target_groups)} existing target group(s); the move reuses its two "
            "(the production one for blue, the other for green).",
            "Give the deployment group its two target groups.",
        )
    names = sorted(facts.target_groups)
    return check("target_groups", title, True, f"Target groups {names[0]} and {names[1]} exist.")


def listeners(facts):
    """ECS shifts traffic by listener rules: one on the production listener and one on the test listener, each
    forwarding to both target groups; rules the listeners already have would take traffic past them."""
    title = "Production and test listeners"
    missing = [label for route, label in (("prod", "production"), ("test", "test")) if route not in facts.listeners]
    if missing:
        return check(
            "listeners",
            title,
            False,
            f"The deployment group has no {' and no '.join(missing)} listener. The move puts the test listener rule "
            "on the test listener, as the guide's migration does: one target group linked to the production listener "
            "rule, the other to the test listener rule.",
            "Add a test listener (8080) on the load balancer and choose it in the deployment group's load balancer "
            "settings.",
        )
    others = [
        f"{rule['RuleArn']} (priority {rule['Priority']})" for route in ("prod", "test") for rule in facts.rules[route]
    ]
    if others:
        return check(
            "listeners",
            title,
            False,
            f"The listeners have rules besides their default actions: {', '.join(others)}. ECS would shift only the "
            "rule the move adds, and these would keep sending traffic past it.",
            "Remove those rules (or move the service yourself as the guide describes).",
        )
    wrong = [
        label
        for route, label in (("prod", "production"), ("test", "test"))
        if facts.production_group not in _forwarded(facts.listeners[route])
    ]
    if wrong:
        return check(
            "listeners",
            title,
            False,
            f"The {' and '.join(wrong)} listener does not forward to the target group of the service's primary task "
            "set, so Roll back could not hand traffic back to it.",
            "Let the last CodeDeploy deployment finish (its termination wait too), then run the dry run again.",
        )
    ports = [facts.listeners[route].get("Port") for route in ("prod", "test")]
    return check("listeners", title, True, f"Production listener on port {ports[0]}, test listener on {ports[1]}.")


def _forwarded(listener):
    groups = set()
    for action in listener.get("DefaultActions", []):
        if action.get("TargetGroupArn"):
            groups.add(action["TargetGroupArn"])
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups", []):
            groups.add(group["TargetGroupArn"])
    return groups


def load_balancer(facts):
    title = "Application Load Balancer"
    kind = facts.load_balancer.get("Type", "")
    if kind != "application":
        return check(
            "load_balancer",
            title,
            False,
            f"The listeners are on a load balancer of type {kind or 'unknown'}; the move writes ALB listener rules.",
            "Move a service behind a Network Load Balancer by hand, as the guide's NLB page describes.",
        )
    return check("load_balancer", title, True, f"Load balancer {facts.load_balancer['LoadBalancerName']} is an ALB.")


def source(facts):
    title = "Source the ECS deploy action can read"
    provider = facts.files_action.get("actionTypeId", {}).get("provider")
    if provider not in ("CodeCommit", "S3"):
        return check(
            "source",
            title,
            False,
            "The deploy action's task definition template comes from no CodeCommit or S3 source action, so the move "
            "cannot add the imagedefinitions.json that the Amazon ECS deploy action reads.",
            "Produce imagedefinitions.json in a build action and change the deploy action yourself.",
        )
    if facts.source_error:
        return check("source", title, False, f"The {provider} source could not be read: {facts.source_error}.")
    where = "has" if facts.image_definitions is not None else "will get"
    return check("source", title, True, f"The {provider} source {where} imagedefinitions.json.")


def new_service(facts):
    title = "Name of the ECS blue/green service"
    name = facts.new_service_name
    if facts.new_service:
        return check(
            "new_service",
            title,
            False,
            f"Service {facts.cluster}/{name} already exists ({facts.new_service.get('status')}).",
            "Delete it, or wait until ECS shows it INACTIVE.",
        )
    return check("new_service", title, True, f"Service {facts.cluster}/{name} does not exist yet.")


def role(facts):
    title = "ECS infrastructure role for load balancers"
    if not facts.role:
        return check("role", title, True, "The role does not exist yet: the run creates it.")
    if not trusts(facts.role, "ecs.amazonaws.com"):
        return check(
            "role",
            title,
            False,
            f"Role {facts.role['RoleName']} does not let ecs.amazonaws.com assume it.",
            "Let ecs.amazonaws.com assume it, or delete it so that the run creates it.",
        )
    return check("role", title, True, f"Role {facts.role['RoleName']} exists and trusts ECS.")
