"""Tracking an ECS service that deploys blue/green by itself (deployment controller ECS, no CodeDeploy): its
service, load balancer's advancedConfiguration (alternate target group, production and test listener rules) and
what those name, found from the service. Runs in workers only; the checks (`checks`) only read what was found."""

from dashboard import aws
from releases.service_deployments import ECS
from releases.worker.preflight import check

STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")


def discover_service(found, cluster, service):
    """Fill `found.ecs` from the service `cluster`/`service` (found.service: its description, or None)."""
    found.ecs = {"cluster": cluster, "service": service, "error": "", "rules": {}}
    try:
        answer = aws.call("ecs", "describe_services", found.connection, cluster=cluster, services=[service])
    except aws.AwsError as error:
        if error.retryable:
            raise
        found.ecs["error"] = f"{error.code}: {error.message}"
        return
    live = [s for s in answer.get("services", []) if s.get("status") != "INACTIVE"]
    found.service = live[0] if live else None
    advanced = _advanced(found.service)
    for key in ("productionListenerRule", "testListenerRule"):
        if advanced.get(key):
            found.ecs["rules"][key] = _rule(found, advanced[key])
    listener_arns = [r["ListenerArn"] for r in found.ecs["rules"].values() if r and r.get("ListenerArn")]
    if listener_arns:
        listeners = aws.call("elbv2", "describe_listeners", found.connection, ListenerArns=listener_arns)["Listeners"]
        by_arn = {listener["ListenerArn"]: listener for listener in listeners}
        for route, key in (("prod", "productionListenerRule"), ("test", "testListenerRule")):
            rule = found.ecs["rules"].get(key) or {}
            arn = rule.get("ListenerArn", "")
            found.listeners[route] = (arn, by_arn.get(arn))
        balancer = next(iter(by_arn.values()))["LoadBalancerArn"]
        found.load_balancer = aws.call(
            "elbv2", "describe_load_balancers", found.connection, LoadBalancerArns=[balancer]
        )["LoadBalancers"][0]


def _advanced(service):
    balancers = (service or {}).get("loadBalancers") or [{}]
    return balancers[0].get("advancedConfiguration") or {}


def _rule(found, arn):
    """The rule, with the listener it belongs to (its ARN names the listener: listener-rule/app/lb/listener/rule)."""
    try:
        rule = aws.call("elbv2", "describe_rules", found.connection, RuleArns=[arn])["Rules"][0]
    except aws.AwsError as error:
        if error.retryable:
            raise
        return None
    listener = arn.replace(":listener-rule/", ":listener/").rsplit("/", 1)[0]
    return {**rule, "ListenerArn": listener}


def target_fields(found):
    """The ReleaseTarget fields of an ECS blue/green service (what the refresh and the console need)."""
    service = found.service or {}
    balancer = (service.get("loadBalancers") or [{}])[0]
    advanced = _advanced(service)
    configuration = service.get("deploymentConfiguration") or {}
    prod_arn, prod = found.listeners.get("prod", ("", None))
    test_arn, test = found.listeners.get("test", ("", None))
    lb = found.load_balancer or {}
    return {
        "engine": ECS,
        "cluster_name": found.ecs["cluster"],
        "service_name": found.ecs["service"],
        "load_balancer_name": lb.get("LoadBalancerName", ""),
        "load_balancer_dns": lb.get("DNSName", ""),
        "prod_listener_arn": prod_arn,
        "test_listener_arn": test_arn,
        "prod_port": (prod or {}).get("Port"),
        "test_port": (test or {}).get("Port"),
        "target_group_names": [
            arn.split(":targetgroup/")[-1].split("/")[0]
            for arn in (balancer.get("targetGroupArn"), advanced.get("alternateTargetGroupArn"))
            if arn
        ],
        "setup": {
            "ecs": {
                "strategy": configuration.get("strategy", ""),
                "bake_minutes": configuration.get("bakeTimeInMinutes"),
                "hooks": configuration.get("lifecycleHooks") or [],
                "production_rule": advanced.get("productionListenerRule", ""),
                "test_rule": advanced.get("testListenerRule", ""),
                "target_groups": [balancer.get("targetGroupArn", ""), advanced.get("alternateTargetGroupArn", "")],
            },
            "sources": found.sources,
            "stages": [s["name"] for s in found.pipeline.get("stages", [])],
            "container": {"name": balancer.get("containerName", ""), "port": balancer.get("containerPort")},
        },
    }


def checks(found):
    """What is wrong for ECS to deploy the service blue/green by itself, and how to fix it."""
    name = f"{found.ecs['cluster']}/{found.ecs['service']}"
    service = found.service
    if service is None:
        why = found.ecs["error"] or "it does not exist or is INACTIVE"
        return [
            check(
                "ecs_service",
                "ECS service",
                False,
                f"ECS does not show service {name} ({why}).",
                "Name an existing service and its cluster (or create it).",
            )
        ]
    controller = (service.get("deploymentController") or {}).get("type", "ECS")
    strategy = (service.get("deploymentConfiguration") or {}).get("strategy", "ROLLING")
    advanced = _advanced(service)
    rules = found.ecs["rules"]
    return [
        check(
            "ecs_controller",
            "ECS runs the deployments",
            controller == "ECS",
            f"Service {name} has the deployment controller {controller}"
            + ("." if controller == "ECS" else ": ECS's own blue/green needs the controller ECS."),
            "Recreate the service with deploymentController type ECS, or track its CodeDeploy pipeline instead.",
        ),
        check(
            "ecs_strategy",
            "Blue/green strategy",
            strategy in STRATEGIES,
            f"Service {name} deploys with the strategy {strategy}"
            + ("." if strategy in STRATEGIES else ", not blue/green: traffic is not shifted between two revisions."),
            "update_service with deploymentConfiguration strategy BLUE_GREEN (or LINEAR, CANARY) and "
            "bakeTimeInMinutes.",
        ),
        check(
            "ecs_advanced_configuration",
            "Load balancer advancedConfiguration",
            bool(advanced.get("alternateTargetGroupArn") and advanced.get("productionListenerRule")),
            "The service's load balancer has "
            + (
                "an alternate target group and a production listener rule."
                if advanced.get("alternateTargetGroupArn") and advanced.get("productionListenerRule")
                else "no advancedConfiguration (alternate target group, production listener rule, role)."
            ),
            "update_service with loadBalancers[].advancedConfiguration: alternateTargetGroupArn, "
            "productionListenerRule, testListenerRule and roleArn (the ECS infrastructure role for load balancers).",
        ),
        check(
            "ecs_listener_rules",
            "Listener rules",
            bool(rules.get("productionListenerRule")) if advanced.get("productionListenerRule") else None,
            "ELB knows the production listener rule"
            + (" and the test listener rule." if rules.get("testListenerRule") else ".")
            if rules.get("productionListenerRule")
            else "ELB does not know the production listener rule the service names.",
            "Create the rule on the production listener, forwarding to both target groups, and name it in the service.",
        ),
    ]
