"""Exactly what a run sends to AWS, built from what a survey read: the dry run shows these requests, the run sends
them. Pure: reads `Facts` and the page's options."""

import copy
import json

from provisioning.worker import ecs_blue_green as blue_green
from provisioning.worker.iam_roles import trust
from releases.worker.migration.survey import IMAGE_DEFINITIONS, image_definitions, infrastructure_role_name

PIPELINE_POLICY = "ecs-deploy-action"


def arn_parts(facts):
    """(partition, account) of the service."""
    _, part, _, _, account, _ = (facts.service.get("serviceArn") or "arn:aws:ecs:::").split(":", 5)
    return part, account


def role_arn(facts):
    """The infrastructure role's ARN: as IAM has it, or as it will be (partition and account from the service's)."""
    part, account = arn_parts(facts)
    return facts.role.get("Arn") or f"arn:{part}:iam::{account}:role/{infrastructure_role_name(facts.target)}"


def create_role(facts):
    return {
        "RoleName": infrastructure_role_name(facts.target),
        "AssumeRolePolicyDocument": json.dumps(trust(blue_green.INFRASTRUCTURE_TRUST)),
        "Description": f"Lets ECS move the listener rules of {facts.cluster}/{facts.new_service_name}",
    }


def attach_policy(facts):
    part, _ = arn_parts(facts)
    arn = f"arn:{part}:iam::aws:policy/{blue_green.INFRASTRUCTURE_POLICY}"
    return {"RoleName": infrastructure_role_name(facts.target), "PolicyArn": arn}


def listener_rule(facts, route):
    """Every request on the listener to the production target group (100) and the alternate (0), after the
    listener's other rules, as provisioning.worker.ecs_blue_green makes them for a new setup."""
    weights = {facts.production_group: 100, facts.alternate_group: 0}
    return {
        "ListenerArn": facts.listeners[route]["ListenerArn"],
        "Priority": blue_green.next_priority(facts.rules.get(route, [])),
        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": blue_green.RULE_PATHS}}],
        "Actions": [blue_green.forward(weights)],
    }


def pipeline_role_policy(facts):
    execution_role = facts.primary.get("_execution_role", "*")
    return {
        "RoleName": facts.pipeline.get("roleArn", "").rsplit("/", 1)[-1],
        "PolicyName": PIPELINE_POLICY,
        "PolicyDocument": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "ecs:DescribeServices",
                            "ecs:DescribeTaskDefinition",
                            "ecs:RegisterTaskDefinition",
                            "ecs:UpdateService",
                            "ecs:TagResource",
                        ],
                        "Resource": "*",
                    },
                    {
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "Resource": execution_role,
                        "Condition": {"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
                    },
                ],
            }
        ),
    }


def create_service(facts, options, rules):
    """The ECS blue/green service beside the CodeDeploy one: its task definition, network and size, behind the
    production target group, with the alternate group and both rules in its advancedConfiguration."""
    old, primary = facts.service, facts.primary
    name, port = facts.container
    request = {
        "cluster": facts.cluster,
        "serviceName": facts.new_service_name,
        "taskDefinition": primary["taskDefinition"],
        "desiredCount": old.get("desiredCount", 1),
        "deploymentController": {"type": "ECS"},
        "deploymentConfiguration": blue_green.deployment_configuration(
            options.get("bake_minutes", blue_green.DEFAULT_BAKE_MINUTES)
        ),
        "loadBalancers": [
            blue_green.load_balancer_entry(
                target_group_arn=facts.production_group,
                alternate_target_group_arn=facts.alternate_group,
                container_name=name,
                container_port=port,
                production_rule_arn=rules.get("prod", "<the production rule's ARN>"),
                test_rule_arn=rules.get("test", "<the test rule's ARN>"),
                role_arn=role_arn(facts),
            )
        ],
        "tags": [{"key": "migrated-from", "value": f"{facts.cluster}/{facts.service_name}"}],
    }
    for key in ("launchType", "platformVersion", "capacityProviderStrategy"):
        if primary.get(key) or old.get(key):
            request[key] = primary.get(key) or old.get(key)
    network = primary.get("networkConfiguration") or old.get("networkConfiguration")
    if network:
        request["networkConfiguration"] = network
    return request


def pipeline_with_ecs_action(facts):
    """The pipeline's declaration with its CodeDeployToECS action replaced by the Amazon ECS deploy action, which
    reads imagedefinitions.json from the source that carries taskdef.json (CodePipeline user guide, "Amazon Elastic
    Container Service deploy action reference")."""
    declared = copy.deepcopy(facts.pipeline)
    config = facts.deploy_action["configuration"]
    for stage in declared["stages"]:
        for position, action in enumerate(stage["actions"]):
            if stage["name"] == facts.deploy_stage and action["name"] == facts.deploy_action["name"]:
                stage["actions"][position] = {
                    "name": action["name"],
                    "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
                    "configuration": {
                        "ClusterName": facts.cluster,
                        "ServiceName": facts.new_service_name,
                        "FileName": IMAGE_DEFINITIONS,
                    },
                    "inputArtifacts": [{"name": config["TaskDefinitionTemplateArtifact"]}],
                    "runOrder": action.get("runOrder", 1),
                }
    return declared


def steps(facts, options):
    """The run's changes in order: (key, area, what changes, "service.Operation", request)."""
    new, old = facts.new_service_name, f"{facts.cluster}/{facts.service_name}"
    provider = facts.files_action.get("actionTypeId", {}).get("provider", "")
    listed = []
    if not facts.role:
        role = infrastructure_role_name(facts.target)
        listed.append(
            (
                "infrastructure_role",
                "IAM",
                f"Create role {role}, trusted by ecs.amazonaws.com",
                "iam.CreateRole",
                create_role(facts),
            )
        )
        attach = attach_policy(facts)
        listed.append(
            (
                "infrastructure_role",
                "IAM",
                f"Attach {blue_green.INFRASTRUCTURE_POLICY} to {role}",
                "iam.AttachRolePolicy",
                attach,
            )
        )
    for route, label in (("prod", "production"), ("test", "test")):
        port = facts.listeners.get(route, {}).get("Port")
        listed.append(
            (
                "listener_rules",
                "Listeners",
                f"Add a rule to the {label} listener (port {port}): every path forwarded to the production target "
                "group (weight 100) and the other (weight 0); its default action stays as CodeDeploy left it",
                "elbv2.CreateRule",
                listener_rule(facts, route),
            )
        )
    content = image_definitions(facts)
    verb = "Replace" if facts.image_definitions is not None else "Add"
    listed.append(
        (
            "image_definitions",
            "Source",
            f"{verb} {IMAGE_DEFINITIONS} in the {provider} source: {content.strip()}",
            f"{provider.lower()}.{'CreateCommit' if provider == 'CodeCommit' else 'PutObject'}",
            {"file": IMAGE_DEFINITIONS, "content": content},
        )
    )
    policy = pipeline_role_policy(facts)
    listed.append(
        (
            "pipeline_role",
            "IAM",
            f"Let the pipeline's role {policy['RoleName']} update ECS services (inline policy {PIPELINE_POLICY})",
            "iam.PutRolePolicy",
            policy,
        )
    )
    create = create_service(facts, options, {})
    bake = create["deploymentConfiguration"]["bakeTimeInMinutes"]
    listed.append(
        (
            "new_service",
            "Service",
            f"Create service {facts.cluster}/{new} (controller ECS, strategy BLUE_GREEN, bake time {bake} min) "
            f"running {create['taskDefinition'].rsplit('/', 1)[-1]} × {create['desiredCount']}, beside {old}",
            "ecs.CreateService",
            create,
        )
    )
    scale = {"cluster": facts.cluster, "service": facts.service_name, "desiredCount": 0}
    listed.append(
        (
            "scale_in",
            "Service",
            f"Once {new}'s first deployment is SUCCESSFUL, scale {old} from {facts.service.get('desiredCount')} "
            "to 0 tasks (kept, with its CodeDeploy application and group, for Roll back)",
            "ecs.UpdateService",
            scale,
        )
    )
    declared = pipeline_with_ecs_action(facts)
    deploy = {
        "stage": facts.deploy_stage,
        "action": facts.deploy_action.get("name"),
        "provider": "ECS",
        "configuration": {"ClusterName": facts.cluster, "ServiceName": new, "FileName": IMAGE_DEFINITIONS},
    }
    listed.append(
        (
            "pipeline",
            "Pipeline",
            f"Replace the deploy action {facts.deploy_stage}/{facts.deploy_action.get('name')} (CodeDeployToECS) "
            f"by the Amazon ECS deploy action on {new}",
            "codepipeline.UpdatePipeline",
            {"name": declared["name"], **deploy},
        )
    )
    return listed


def deleted(facts):
    """What the last step, Delete CodeDeploy resources, deletes (not the run)."""
    config = facts.deploy_action.get("configuration", {})
    return [
        f"CodeDeploy deployment group {config.get('ApplicationName')}/{config.get('DeploymentGroupName')}",
        f"CodeDeploy application {config.get('ApplicationName')} (when it has no other deployment group)",
        f"ECS service {facts.cluster}/{facts.service_name} (scaled to 0 by the run)",
    ]


def shown(facts, options):
    """The plan as the page shows it: area, change, the request."""
    rows = [
        {"area": area, "change": change, "request": f"{call} {json.dumps(params, sort_keys=True)}"}
        for _, area, change, call, params in steps(facts, options)
    ]
    rows += [{"area": "Deleted by the last step", "change": what, "request": ""} for what in deleted(facts)]
    return rows
