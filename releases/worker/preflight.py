"""Pre-flight checks of a tracked setup: each says what is wrong and how to fix it. Pure: reads a `Found`."""

from releases.worker.tracking import trusts


def check(name, title, ok, message, fix=""):
    """ok is True (passed), False (failed: message says what is wrong, fix how to fix it) or None (not checked)."""
    ok = None if ok is None else bool(ok)
    return {"name": name, "title": title, "ok": ok, "message": message, "fix": fix if ok is False else ""}


def run(found):
    return [
        deployment_group(found),
        service_controller(found),
        target_groups(found),
        listeners(found),
        wiring(found),
        service_role(found),
        placeholders(found),
        image_push_starts(found),
    ]


def deployment_group(found):
    config = found.config
    name = f"{config.get('ApplicationName', '?')}/{config.get('DeploymentGroupName', '?')}"
    group = found.deployment_group
    title = "CodeDeploy deployment group"
    if group is None:
        return check(
            "deployment_group",
            title,
            False,
            f"The deploy action names deployment group {name}, which CodeDeploy does not know "
            f"({found.deployment_group_error}).",
            "Create the application (compute platform Amazon ECS) and deployment group, or correct the names "
            "in the pipeline's deploy action.",
        )
    style = group.get("deploymentStyle") or {}
    blue_green = style.get("deploymentType") == "BLUE_GREEN" and group.get("computePlatform", "ECS") == "ECS"
    if not blue_green:
        return check(
            "deployment_group",
            title,
            False,
            f"Deployment group {name} is not an Amazon ECS blue/green group.",
            "Use a deployment group of an ECS application with deployment type blue/green and traffic control.",
        )
    return check("deployment_group", title, True, f"Deployment group {name} is an ECS blue/green group.")


def service_controller(found):
    title = "ECS service uses CodeDeploy"
    services = (found.deployment_group or {}).get("ecsServices") or []
    if not services:
        return check(
            "service_controller",
            title,
            False,
            "The deployment group names no ECS service.",
            "In the deployment group's environment configuration, choose the cluster and service.",
        )
    name = f"{services[0]['clusterName']}/{services[0]['serviceName']}"
    if found.service is None:
        return check(
            "service_controller",
            title,
            False,
            f"ECS service {name} does not exist.",
            "Create the service (tutorial step 4), or point the deployment group at the right cluster and service.",
        )
    controller = (found.service.get("deploymentController") or {}).get("type", "ECS")
    if controller != "CODE_DEPLOY":
        return check(
            "service_controller",
            title,
            False,
            f"ECS service {name} uses the {controller} deployment controller, so CodeDeploy cannot deploy it.",
            "The controller cannot be changed: create the service again with deploymentController type CODE_DEPLOY.",
        )
    return check("service_controller", title, True, f"ECS service {name} uses the CODE_DEPLOY controller.")


def target_groups(found):
    title = "Two target groups"
    names = found.target_group_names
    if len(names) != 2:
        return check(
            "target_groups",
            title,
            False,
            f"The deployment group names {len(names)} target group(s); blue/green needs two.",
            "In the deployment group's load balancer settings, choose target group 1 and target group 2.",
        )
    missing = [name for name in names if found.target_groups.get(name) is None]
    if missing:
        return check(
            "target_groups",
            title,
            False,
            f"Target group {', '.join(missing)} named by the deployment group does not exist.",
            "Create it (type IP, HTTP) in the load balancer's VPC, or choose existing ones in the deployment group.",
        )
    return check("target_groups", title, True, f"Target groups {names[0]} and {names[1]} exist.")


def listeners(found):
    title = "Production and test listeners"
    problems = []
    for route, label in (("prod", "production"), ("test", "test")):
        arn, description = found.listeners.get(route, ("", None))
        if not arn:
            problems.append(f"the deployment group has no {label} listener")
        elif description is None:
            problems.append(f"the {label} listener {arn} does not exist")
    if problems:
        return check(
            "listeners",
            title,
            False,
            "; ".join(problems).capitalize() + ".",
            "Add listeners on the load balancer (80 for production, 8080 for test) and choose them as the "
            "deployment group's production and test listener ports.",
        )
    ports = [found.listeners[route][1].get("Port") for route in ("prod", "test")]
    return check("listeners", title, True, f"Production listener on port {ports[0]}, test listener on {ports[1]}.")


def _forwarded(listener):
    arns = set()
    for action in (listener or {}).get("DefaultActions", []):
        if action.get("TargetGroupArn"):
            arns.add(action["TargetGroupArn"])
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups", []):
            arns.add(group["TargetGroupArn"])
    return arns


def wiring(found):
    title = "Deployment group points at the service's load balancing"
    groups = {name: g for name, g in found.target_groups.items() if g}
    if len(groups) != 2 or not all(d for _, d in found.listeners.values()) or found.service is None:
        return check(
            "wiring", title, None, "Not checked: the service, both target groups and both listeners must exist first."
        )
    arns = {g["TargetGroupArn"] for g in groups.values()}
    problems = []
    service_groups = {lb.get("targetGroupArn") for lb in found.service.get("loadBalancers", [])}
    if not service_groups & arns:
        problems.append("the ECS service is not behind either of the deployment group's target groups")
    for route, label in (("prod", "production"), ("test", "test")):
        if not _forwarded(found.listeners[route][1]) & arns:
            problems.append(f"the {label} listener forwards to neither target group")
    balancers = {d["LoadBalancerArn"] for _, d in found.listeners.values()}
    if len(balancers) != 1:
        problems.append("the production and test listeners are on different load balancers")
    if problems:
        return check(
            "wiring",
            title,
            False,
            "; ".join(problems).capitalize() + ".",
            "Create the service with target group 1 in its load balancer settings, forward the production "
            "listener to target group 1 and the test listener to target group 2 (tutorial step 3).",
        )
    return check("wiring", title, True, "The service, target groups and listeners fit together.")


def service_role(found):
    title = "Service role trusted by CodeDeploy"
    arn = (found.deployment_group or {}).get("serviceRoleArn") or ""
    fix = (
        "Use a role whose trust policy lets codedeploy.amazonaws.com assume it, with the AWSCodeDeployRoleForECS "
        "policy attached (IAM → Create role → CodeDeploy → CodeDeploy - ECS)."
    )
    if not arn:
        return check("service_role", title, False, "The deployment group has no service role.", fix)
    if found.role is None:
        return check("service_role", title, False, f"Service role {arn} does not exist ({found.role_error}).", fix)
    if trusts(found.role, "codedeploy.amazonaws.com"):
        return check("service_role", title, True, f"Role {found.role['RoleName']} trusts CodeDeploy.")
    return check(
        "service_role",
        title,
        False,
        f"Role {found.role['RoleName']} does not let codedeploy.amazonaws.com assume it.",
        fix,
    )


def placeholders(found):
    title = "Source files carry the placeholders"
    container = found.config.get("Image1ContainerName") or "IMAGE1_NAME"
    wanted = {"taskdef": f"<{container}>", "appspec": "<TASK_DEFINITION>"}
    problems, notes = [], []
    for key, placeholder in wanted.items():
        path, text, note = found.files.get(key, ("?", None, "not looked for"))
        if text is None and note.startswith("files in a"):
            notes.append(f"{path}: {note}")
        elif text is None:
            problems.append(f"{path} could not be read ({note})")
        elif placeholder not in text:
            problems.append(f"{path} does not contain {placeholder}")
    if problems:
        return check(
            "placeholders",
            title,
            False,
            "; ".join(problems) + ".",
            f"In taskdef.json set the container image to {wanted['taskdef']}; in appspec.yaml set TaskDefinition "
            f"to {wanted['appspec']} (tutorial step 2), and commit both to the source the pipeline reads.",
        )
    message = (
        " ".join(notes) if notes else f"The task definition has {wanted['taskdef']}, the AppSpec <TASK_DEFINITION>."
    )
    return check("placeholders", title, True, message)


def image_push_starts(found):
    title = "An image push starts the pipeline"
    if not found.push_rules and not found.rules_error:
        return check("image_push", title, None, "Not checked: the pipeline has no Amazon ECR source action.")
    if found.rules_error:
        return check("image_push", title, None, f"Not checked: EventBridge answered {found.rules_error}.")
    missing = [name for name, rules in found.push_rules.items() if not rules]
    if missing:
        return check(
            "image_push",
            title,
            False,
            f"No enabled EventBridge rule starts the pipeline when an image is pushed for its source action "
            f"{', '.join(missing)}: a pipeline created through the API (not the console) does not start on a push "
            "by itself.",
            "Create an EventBridge rule with the pattern source aws.ecr, detail-type “ECR Image Action”, "
            "action-type PUSH, result SUCCESS and the repository name and image tag of the ECR source action, "
            "with the pipeline as its target and a role that allows codepipeline:StartPipelineExecution on it "
            "(the setup wizard's step 6 makes both).",
        )
    rules = sorted({rule for names in found.push_rules.values() for rule in names})
    return check("image_push", title, True, f"EventBridge rule {', '.join(rules)} starts the pipeline on a push.")
