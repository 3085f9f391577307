"""The default VPC and two public subnets in different Availability Zones, checked as the tutorial says."""

from provisioning.worker.step_context import StepError


def public_subnets(ctx, given=()):
    """(vpc_id, [subnet, subnet]): the given two, checked, or the first two public default subnets in different AZs."""
    if given:
        subnets = ctx.call("ec2", "describe_subnets", SubnetIds=list(given))["Subnets"]
        vpcs = {subnet["VpcId"] for subnet in subnets}
        if len(vpcs) != 1:
            raise StepError("SubnetsInDifferentVpcs", "The two subnets must be in the same VPC.")
        vpc_id = vpcs.pop()
    else:
        vpcs = ctx.call("ec2", "describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            raise StepError(
                "NoDefaultVpc",
                f"{ctx.setup.region} has no default VPC. Create one (aws ec2 create-default-vpc) or name two subnets.",
            )
        vpc_id = vpcs[0]["VpcId"]
        subnets = ctx.call(
            "ec2",
            "describe_subnets",
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default-for-az", "Values": ["true"]}],
        )["Subnets"]
    tables = ctx.call("ec2", "describe_route_tables", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    public = sorted(
        (s for s in subnets if routes_to_internet(route_table_of(s["SubnetId"], tables))),
        key=lambda s: (s["AvailabilityZone"], s["SubnetId"]),
    )
    chosen, zones = [], set()
    for subnet in public:
        if subnet["AvailabilityZone"] not in zones:
            chosen.append(subnet)
            zones.add(subnet["AvailabilityZone"])
    if given and len(public) < len(subnets):
        private = sorted({s["SubnetId"] for s in subnets} - {s["SubnetId"] for s in public})
        raise StepError("SubnetNotPublic", f"{', '.join(private)} has no route to an internet gateway.")
    if given and len(chosen) < 2:
        raise StepError("SubnetsInSameZone", "The two subnets must be in different Availability Zones.")
    if len(chosen) < 2:
        raise StepError(
            "NoPublicSubnets",
            f"The default VPC {vpc_id} needs two subnets in different Availability Zones with a route to an "
            f"internet gateway; it has {len(chosen)}.",
        )
    return vpc_id, chosen[:2]


def route_table_of(subnet_id, tables):
    """The table explicitly associated with the subnet, else the VPC's main route table."""
    for table in tables:
        if any(a.get("SubnetId") == subnet_id for a in table.get("Associations", [])):
            return table
    return next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)


def routes_to_internet(table):
    return bool(table) and any(
        route.get("GatewayId", "").startswith("igw-") and route.get("State", "active") == "active"
        for route in table.get("Routes", [])
    )
