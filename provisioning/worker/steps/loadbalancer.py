"""Step 3: an internet-facing application load balancer in two public subnets, two IP target groups, and
the production and test listeners."""

from provisioning.models import Resource
from provisioning.names import suggested
from provisioning.worker.default_network import public_subnets
from provisioning.worker.iam_roles import partition
from provisioning.worker.step_context import Action, Change, StepError

KEY, TITLE = "loadbalancer", "Load balancer"
HELP = (  # shown on the step's page
    "Creates an internet-facing Application Load Balancer in two public subnets, two IP target groups, and "
    "the production and test listeners."
)
OUTPUTS = (
    "vpc_id",
    "subnets",
    "security_group_id",
    "security_group_owned",
    "load_balancer_arn",
    "load_balancer_dns",
    "target_group_1_arn",
    "target_group_2_arn",
    "production_listener_arn",
    "test_listener_arn",
)


def plan(setup):
    c = setup.config
    group = c["security_group"] or suggested(setup.name)["security_group_name"]
    return [
        Action("network", "Default VPC and two public subnets in different Availability Zones"),
        Action("security_group", f"Security group {group}"),
        Action("ingress", f"Allow HTTP on ports {c['production_port']} and {c['test_port']}"),
        Action("load_balancer", f"Application load balancer {c['load_balancer']}"),
        Action("target_group_1", f"Target group {c['target_group_1']} (IP, HTTP {c['production_port']})"),
        Action("target_group_2", f"Target group {c['target_group_2']} (IP, HTTP {c['test_port']})"),
        Action("listener_production", f"Production listener on port {c['production_port']}"),
        Action("listener_test", f"Test listener on port {c['test_port']}"),
    ]


def run(ctx):
    c = ctx.config
    ctx.do("network", lambda: network(ctx))
    ctx.do("security_group", lambda: security_group(ctx))
    ctx.do("ingress", lambda: ingress(ctx))
    ctx.do("load_balancer", lambda: load_balancer(ctx))
    ctx.do("target_group_1", lambda: target_group(ctx, c["target_group_1"], c["production_port"], "target_group_1"))
    ctx.do("target_group_2", lambda: target_group(ctx, c["target_group_2"], c["test_port"], "target_group_2"))
    ctx.do("listener_production", lambda: listener(ctx, c["production_port"], "target_group_1", "production"))
    ctx.do("listener_test", lambda: listener(ctx, c["test_port"], "target_group_2", "test"))


def network(ctx):
    vpc_id, subnets = public_subnets(ctx, ctx.config.get("subnets") or ())
    zones = ", ".join(f"{s['SubnetId']} ({s['AvailabilityZone']})" for s in subnets)
    return {"vpc_id": vpc_id, "subnets": [s["SubnetId"] for s in subnets], "detail": f"{vpc_id}: {zones}"}


def security_group(ctx):
    given = ctx.config["security_group"]
    name = suggested(ctx.name)["security_group_name"]
    vpc_id = ctx.outputs["vpc_id"]

    def find():
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
        if given:
            found = ctx.find(("InvalidGroup.NotFound",), "ec2", "describe_security_groups", GroupIds=[given])
            if not found:
                raise StepError("InvalidGroup.NotFound", f"There is no security group {given}.")
            groups = found["SecurityGroups"]
        else:
            filters.append({"Name": "group-name", "Values": [name]})
            groups = ctx.call("ec2", "describe_security_groups", Filters=filters)["SecurityGroups"]
        return described(ctx, groups[0]) if groups else None

    def create():
        made = ctx.call(
            "ec2",
            "create_security_group",
            GroupName=name,
            Description=f"HTTP to the load balancer and tasks of the blue/green setup {ctx.name}",
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": ctx.tags()}],
        )
        return {"arn": arn(ctx, made["GroupId"]), "id": made["GroupId"]}

    group = ctx.ensure("ec2.security-group", given or name, find=find, create=create)
    return {"security_group_id": group["id"], "security_group_owned": group["owned"], "detail": group["detail"]}


def described(ctx, group):
    return {"arn": arn(ctx, group["GroupId"]), "id": group["GroupId"], "tags": group.get("Tags")}


def arn(ctx, group_id):
    return f"arn:{partition(ctx)}:ec2:{ctx.setup.region}:{ctx.outputs['account']}:security-group/{group_id}"


def ingress(ctx):
    if not ctx.outputs["security_group_owned"]:
        return {"detail": "left as it is (not made by the wizard)"}
    ports = sorted({ctx.config["production_port"], ctx.config["test_port"], ctx.config["container_port"]})
    group_id = ctx.outputs["security_group_id"]
    found = ctx.call("ec2", "describe_security_groups", GroupIds=[group_id])["SecurityGroups"][0]
    open_ports = {p.get("FromPort") for p in found.get("IpPermissions", [])}
    missing = [port for port in ports if port not in open_ports]
    if missing:
        ctx.call(
            "ec2",
            "authorize_security_group_ingress",
            GroupId=group_id,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                for p in missing
            ],
        )
    return {"detail": f"ports {', '.join(map(str, ports))} open" + ("" if missing else " already")}


def load_balancer(ctx):
    name = ctx.config["load_balancer"]

    def find():
        found = ctx.find(("LoadBalancerNotFound",), "elbv2", "describe_load_balancers", Names=[name])
        if not found:
            return None
        balancer = found["LoadBalancers"][0]
        if balancer["Type"] != "application":
            raise StepError("NotAnApplicationLoadBalancer", f"{name} is a {balancer['Type']} load balancer.")
        return {"arn": balancer["LoadBalancerArn"], "dns": balancer["DNSName"]}

    def create():
        made = ctx.call(
            "elbv2",
            "create_load_balancer",
            Name=name,
            Subnets=ctx.outputs["subnets"],
            SecurityGroups=[ctx.outputs["security_group_id"]],
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
            Tags=ctx.tags(),
        )["LoadBalancers"][0]
        return {"arn": made["LoadBalancerArn"], "dns": made["DNSName"]}

    found = ctx.ensure("elbv2.load-balancer", name, find=find, create=create)
    return {"load_balancer_arn": found["arn"], "load_balancer_dns": found["dns"], "detail": found["detail"]}


def target_group(ctx, name, port, output):
    def find():
        found = ctx.find(("TargetGroupNotFound",), "elbv2", "describe_target_groups", Names=[name])
        return {"arn": found["TargetGroups"][0]["TargetGroupArn"]} if found else None

    def create():
        made = ctx.call(
            "elbv2",
            "create_target_group",
            Name=name,
            Protocol="HTTP",
            Port=port,
            VpcId=ctx.outputs["vpc_id"],
            TargetType="ip",
            Tags=ctx.tags(),
        )
        return {"arn": made["TargetGroups"][0]["TargetGroupArn"]}

    found = ctx.ensure("elbv2.target-group", name, find=find, create=create)
    return {f"{output}_arn": found["arn"], "detail": found["detail"]}


def listener(ctx, port, group, output):
    balancer = ctx.outputs["load_balancer_arn"]
    name = f"{ctx.config['load_balancer']}:{port}"
    had_port = {}

    def find():
        listeners = ctx.paginate("elbv2", "describe_listeners", "Listeners", LoadBalancerArn=balancer)
        match = [item for item in listeners if item["Port"] == port]
        recorded = [item for item in listeners if item["ListenerArn"] == ctx.outputs.get(f"{output}_listener_arn")]
        if not match and recorded:  # the form's port changed: the listener made before is the one to move
            had_port["port"] = recorded[0]["Port"]
            Resource.objects.filter(setup=ctx.setup, kind="elbv2.listener", arn=recorded[0]["ListenerArn"]).update(
                name=name
            )
            match = recorded
        return {"arn": match[0]["ListenerArn"]} if match else None

    def create():
        made = ctx.call(
            "elbv2",
            "create_listener",
            LoadBalancerArn=balancer,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": ctx.outputs[f"{group}_arn"]}],
            Tags=ctx.tags(),
        )
        return {"arn": made["Listeners"][0]["ListenerArn"]}

    # A listener found on the port is kept as it is: after a release it forwards to the other target group.
    found = ctx.ensure("elbv2.listener", name, find=find, create=create)
    thing = f"the {output} listener"
    changes = [Change(thing, "port", had_port["port"], port)] if had_port else []

    def move(_changes):
        ctx.call("elbv2", "modify_listener", ListenerArn=found["arn"], Port=port)

    detail = ctx.bring_in_line(found, changes, thing=thing, apply=move)
    return {f"{output}_listener_arn": found["arn"], "detail": detail}
