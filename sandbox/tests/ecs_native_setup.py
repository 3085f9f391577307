"""An ECS-native blue/green service built with plain ECS, ELBv2 and IAM calls, as the ECS developer guide sets one up
("Application Load Balancer resources for blue/green deployments"): an ALB, two target groups, a production listener
with a production rule and a test listener with a test rule (each forwarding 100/0 to the two groups), the
infrastructure role trusted by ecs.amazonaws.com, and a Fargate service with the ECS deployment controller; and a
pipeline whose Amazon ECS deploy action releases it (an S3 source holding imagedefinitions.json)."""

import json

from sandbox.tutorial import source_zip

CLUSTER, SERVICE, CONTAINER = "shop", "web", "web"
TRUST_ECS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class BlueGreenService:
    def __init__(self, aws, desired: int = 2):
        self.aws = aws
        self.desired = desired
        self.ids: dict[str, str] = {}

    def build(self, **deployment_configuration) -> "BlueGreenService":
        aws = self.aws
        vpc = aws.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            aws.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{n}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
                "SubnetId"
            ]
            for n, z in ((1, "a"), (2, "b"))
        ]
        self.ids["subnets"] = subnets
        lb = aws.elbv2.create_load_balancer(Name="shop-alb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        for name in ("blue", "green"):
            group = aws.elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
            self.ids[name] = group["TargetGroups"][0]["TargetGroupArn"]
        forward = {"Type": "forward", "ForwardConfig": {"TargetGroups": self.weights(100, 0)}}
        not_found = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}
        for name, port in (("production", 80), ("test", 8080)):
            listener = aws.elbv2.create_listener(
                LoadBalancerArn=lb, Protocol="HTTP", Port=port, DefaultActions=[not_found]
            )
            self.ids[f"{name}_listener"] = listener["Listeners"][0]["ListenerArn"]
            rule = aws.elbv2.create_rule(
                ListenerArn=self.ids[f"{name}_listener"],
                Priority=10,
                Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
                Actions=[forward],
            )
            self.ids[f"{name}_rule"] = rule["Rules"][0]["RuleArn"]
        role = aws.iam.create_role(
            RoleName="ecsInfrastructureRoleForLB", AssumeRolePolicyDocument=json.dumps(TRUST_ECS)
        )
        self.ids["role"] = role["Role"]["Arn"]
        for hook in deployment_configuration.get("lifecycleHooks") or []:
            if hook.get("targetType") != "PAUSE":
                hook.setdefault("hookTargetArn", "arn:aws:lambda:us-east-1:123456789012:function:smoke-test")
                hook.setdefault("roleArn", self.ids["role"])
        aws.ecs.create_cluster(clusterName=CLUSTER)
        self.ids["taskdef_1"] = self.register("nginx:1")
        aws.ecs.create_service(
            cluster=CLUSTER,
            serviceName=SERVICE,
            taskDefinition=self.ids["taskdef_1"],
            desiredCount=self.desired,
            launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
            deploymentController={"type": "ECS"},
            deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2, **deployment_configuration},
            loadBalancers=[self.load_balancer()],
        )
        return self

    def load_balancer(self) -> dict:
        return {
            "targetGroupArn": self.ids["blue"],
            "containerName": CONTAINER,
            "containerPort": 80,
            "advancedConfiguration": {
                "alternateTargetGroupArn": self.ids["green"],
                "productionListenerRule": self.ids["production_rule"],
                "testListenerRule": self.ids["test_rule"],
                "roleArn": self.ids["role"],
            },
        }

    def weights(self, blue: int, green: int) -> list[dict]:
        return [
            {"TargetGroupArn": self.ids["blue"], "Weight": blue},
            {"TargetGroupArn": self.ids["green"], "Weight": green},
        ]

    def register(self, image: str) -> str:
        return self.aws.ecs.register_task_definition(
            family="web",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": CONTAINER, "image": image, "portMappings": [{"containerPort": 80}]}],
        )["taskDefinition"]["taskDefinitionArn"]

    def release(self, image: str = "nginx:2", **update) -> str:
        """update_service with a new task definition; answers the service deployment it started."""
        taskdef = self.register(image)
        self.aws.ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=taskdef, **update)
        return self.service()["currentServiceDeployment"]

    # ---- reading ---------------------------------------------------------------------------------

    def service(self) -> dict:
        return self.aws.ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]

    def deployment(self, arn: str) -> dict:
        return self.aws.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def revision(self, arn: str) -> dict:
        return self.aws.ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"][0]

    def rule(self, name: str) -> dict[str, int]:
        """{"blue": weight, "green": weight} of the production or test rule."""
        rule = self.aws.elbv2.describe_rules(RuleArns=[self.ids[f"{name}_rule"]])["Rules"][0]
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        names = {self.ids["blue"]: "blue", self.ids["green"]: "green"}
        return {names[g["TargetGroupArn"]]: g["Weight"] for g in groups}

    def wait(self, arn: str, condition, step: float = 1, limit: float = 3600) -> dict:
        """Advance the manual clock until `condition(deployment)` holds; the deployment then."""
        waited = 0.0
        while True:
            found = self.deployment(arn)
            if condition(found):
                return found
            if waited >= limit:
                raise AssertionError(f"not reached after {limit} s: {found['status']} {found.get('lifecycleStage')}")
            self.aws.sandbox.advance(step)
            waited += step

    def settle(self) -> dict:
        """The first deployment (made by create_service) through to SUCCESSFUL."""
        first = self.service()["currentServiceDeployment"]
        return self.wait(first, lambda d: d["status"] == "SUCCESSFUL", step=10)


# ---- a pipeline whose ECS deploy action releases the service ------------------------------------------------

PIPELINE, BUCKET = "shop-release", "shop-source"


def put_image_definitions(aws, image: str) -> None:
    files = {"imagedefinitions.json": json.dumps([{"name": "web", "imageUri": image}])}
    aws.s3.put_object(Bucket=BUCKET, Key="source.zip", Body=source_zip(files))


def create_buckets(aws) -> None:
    aws.s3.create_bucket(Bucket=BUCKET)
    aws.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    aws.s3.create_bucket(Bucket="shop-artifacts")


def create_pipeline(aws, **deploy_configuration) -> None:
    source = {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "configuration": {"S3Bucket": BUCKET, "S3ObjectKey": "source.zip", "PollForSourceChanges": "false"},
        "outputArtifacts": [{"name": "BuildOutput"}],
    }
    deploy = {
        "name": "Deploy",
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"},
        "configuration": {"ClusterName": CLUSTER, "ServiceName": SERVICE, **deploy_configuration},
        "inputArtifacts": [{"name": "BuildOutput"}],
    }
    aws.codepipeline.create_pipeline(
        pipeline={
            "name": PIPELINE,
            "roleArn": "arn:aws:iam::123456789012:role/shop-pipeline",
            "artifactStore": {"type": "S3", "location": "shop-artifacts"},
            "stages": [{"name": "Source", "actions": [source]}, {"name": "Deploy", "actions": [deploy]}],
        }
    )
