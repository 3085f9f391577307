"""What a target group serves, as ECS registers it: the running tasks of the task sets (or of a service without task
sets) whose `loadBalancers` name the group, or, for a blue/green service of the ECS deployment controller, of its
current service revisions, each on the group its `resolvedConfiguration` names; read through the public ECS, EC2 and
ECR APIs.

No task runs in the sandbox, so each task gets an IP address of its own in one of its task set's subnets (spread over
them as ECS spreads tasks over zones), the same at every look.
"""

import hashlib
import ipaddress
import re
from dataclasses import dataclass

from sandbox.aws import ClientError

SERVING_STATUSES = ("PRIMARY", "ACTIVE")
ECR_IMAGE = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?)/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


@dataclass
class Registration:
    """A task set (or a service without task sets) registered to a target group."""

    arn: str  # the task set's ARN, or the service's
    task_set: str | None  # the task set's id
    target_group_arn: str
    task_definition: str
    container_name: str
    container_port: int
    running: int
    subnets: list[str]


def registrations(aws, target_group_arn: str) -> list[Registration]:
    """Everything with running tasks registered to the target group, in the account and region of `aws`."""
    found = []
    for cluster in _all(aws.ecs, "list_clusters", "clusterArns"):
        arns = _all(aws.ecs, "list_services", "serviceArns", cluster=cluster)
        for start in range(0, len(arns), 10):  # DescribeServices takes ten at a time
            for service in aws.ecs.describe_services(cluster=cluster, services=arns[start : start + 10])["services"]:
                if service.get("status") != "ACTIVE":
                    continue
                if service.get("currentServiceRevisions"):
                    found += revisions_registered(aws, service, target_group_arn)
                else:
                    found += registered_in(service, target_group_arn)
    return found


def registered_in(service: dict, target_group_arn: str | None = None) -> list[Registration]:
    """A service's (or DeleteTaskSet's answer's) registrations with that target group, or with any."""
    owners = service.get("taskSets") or [{**service, "status": "PRIMARY", "id": None, "taskSetArn": None}]
    found = []
    for owner in owners:
        if owner.get("status") not in SERVING_STATUSES or not owner.get("runningCount"):
            continue
        for lb in owner.get("loadBalancers") or []:
            if target_group_arn not in (None, lb.get("targetGroupArn")):
                continue
            network = (owner.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            found.append(
                Registration(
                    arn=owner.get("taskSetArn") or service["serviceArn"],
                    task_set=owner.get("id"),
                    target_group_arn=lb["targetGroupArn"],
                    task_definition=owner["taskDefinition"],
                    container_name=lb.get("containerName", ""),
                    container_port=int(lb.get("containerPort") or 80),
                    running=int(owner["runningCount"]),
                    subnets=list(network.get("subnets") or []),
                )
            )
    return found


def revisions_registered(aws, service: dict, target_group_arn: str | None = None) -> list[Registration]:
    """A blue/green service's revisions with running tasks, on the target groups they really use."""
    running = {r["arn"]: r["runningTaskCount"] for r in service["currentServiceRevisions"] if r["runningTaskCount"]}
    if not running:
        return []
    described = aws.ecs.describe_service_revisions(serviceRevisionArns=list(running))["serviceRevisions"]
    found = []
    for revision in described:
        configured = revision.get("loadBalancers") or [{}]
        lb = next((x for x in configured if x.get("advancedConfiguration")), configured[0])
        network = (revision.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        for resolved in (revision.get("resolvedConfiguration") or {}).get("loadBalancers") or []:
            if target_group_arn not in (None, resolved["targetGroupArn"]):
                continue
            found.append(
                Registration(
                    arn=revision["serviceRevisionArn"],
                    task_set=None,
                    target_group_arn=resolved["targetGroupArn"],
                    task_definition=revision["taskDefinition"],
                    container_name=lb.get("containerName", ""),
                    container_port=int(lb.get("containerPort") or 80),
                    running=int(running[revision["serviceRevisionArn"]]),
                    subnets=list(network.get("subnets") or []),
                )
            )
    return found


def _all(client, operation: str, key: str, **kwargs) -> list[str]:
    pages = client.get_paginator(operation).paginate(**kwargs)
    return [item for page in pages for item in page[key]]


def targets(aws, registration: Registration) -> list[dict]:
    """The registration's tasks as ELB targets: {"Id": ip, "Port", "AvailabilityZone"}."""
    subnets = []
    if registration.subnets:
        try:
            subnets = aws.client("ec2").describe_subnets(SubnetIds=registration.subnets)["Subnets"]
        except ClientError:
            subnets = []
    subnets = subnets or [{"CidrBlock": "172.31.0.0/20", "AvailabilityZone": f"{aws.region}a"}]
    return [
        target_of(registration.arn, index, subnets, registration.container_port)
        for index in range(registration.running)
    ]


def target_of(owner_arn: str, index: int, subnets: list[dict], port: int) -> dict:
    subnet = subnets[index % len(subnets)]
    network = ipaddress.ip_network(subnet["CidrBlock"])
    spread = int.from_bytes(hashlib.sha256(f"{owner_arn}#{index}".encode()).digest()[:8], "big")
    # AWS reserves the first four addresses of a subnet and the last one.
    host = network.network_address + 4 + spread % max(1, network.num_addresses - 5)
    return {"Id": str(host), "Port": port, "AvailabilityZone": subnet["AvailabilityZone"]}


def container_image(aws, registration: Registration) -> tuple[dict, str]:
    """(the task definition, the image of the registered container as the task definition names it)."""
    task_definition = aws.ecs.describe_task_definition(taskDefinition=registration.task_definition)["taskDefinition"]
    containers = task_definition.get("containerDefinitions") or [{}]
    container = next((c for c in containers if c.get("name") == registration.container_name), containers[0])
    return task_definition, container.get("image", "")


def image_names(clients, image: str) -> tuple[str | None, list[str]]:
    """(the image's digest in ECR or None when ECR does not hold it, every name it goes by: URI, digest,
    repository:tag and registry/repository:tag for each of its tags in ECR)."""
    names = [image]
    match = ECR_IMAGE.match(image)
    if not match:
        return None, names
    wanted = {"imageDigest": match["digest"]} if match["digest"] else {"imageTag": match["tag"] or "latest"}
    ecr = clients.get("ecr", match["region"], match["account"])
    try:
        detail = ecr.describe_images(repositoryName=match["repository"], imageIds=[wanted])["imageDetails"][0]
    except (ClientError, IndexError):
        return None, names
    for tag in detail.get("imageTags") or []:
        names += [f"{match['repository']}:{tag}", f"{match['registry']}/{match['repository']}:{tag}"]
    return detail["imageDigest"], [*names, detail["imageDigest"]]
