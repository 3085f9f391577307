"""CodeDeploy, emulated for the ECS compute platform: applications, deployment groups,
deployment configurations, deployments (see deployments.py) and their targets."""

import base64
import copy
import json
import re
import uuid

from sandbox import alarms
from sandbox.api import AwsErrorResponse, JsonApi
from sandbox.aws import ClientError
from sandbox.deployments import Deployment, parse_appspec, revision_sha256
from sandbox.propagation import check_codedeploy_role

NAME_RE = re.compile(r"^[\w.+@=,-]{1,100}$")
DEPLOYMENT_ID_RE = re.compile(r"^d-[A-Z0-9]{9}$")
ROLE_ARN_RE = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


def _ecs(routing: dict) -> dict:
    return {"computePlatform": "ECS", "trafficRoutingConfig": routing}


def _linear(percent, minutes):
    return _ecs(
        {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": percent, "linearInterval": minutes}}
    )


def _canary(percent, minutes):
    return _ecs(
        {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": percent, "canaryInterval": minutes}}
    )


def _server(kind, value):
    return {"computePlatform": "Server", "minimumHealthyHosts": {"type": kind, "value": value}}


PREDEFINED_CONFIGS = {
    "CodeDeployDefault.ECSAllAtOnce": _ecs({"type": "AllAtOnce"}),
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": _linear(10, 1),
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": _linear(10, 3),
    "CodeDeployDefault.ECSCanary10Percent5Minutes": _canary(10, 5),
    "CodeDeployDefault.ECSCanary10Percent15Minutes": _canary(10, 15),
    "CodeDeployDefault.AllAtOnce": _server("FLEET_PERCENT", 0),
    "CodeDeployDefault.HalfAtATime": _server("FLEET_PERCENT", 50),
    "CodeDeployDefault.OneAtATime": _server("HOST_COUNT", 1),
    "CodeDeployDefault.LambdaAllAtOnce": {"computePlatform": "Lambda", "trafficRoutingConfig": {"type": "AllAtOnce"}},
}


class CodeDeployState:
    def __init__(self):
        self.applications: dict[str, dict] = {}
        self.groups: dict[tuple[str, str], dict] = {}
        self.configs: dict[str, dict] = {}
        self.deployments: dict[str, Deployment] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.rs = None

    # called by deployments
    def deployment_finished(self, deployment: Deployment) -> None:
        group = self.groups.get((deployment.application, deployment.group["name"]))
        summary = {
            "deploymentId": deployment.id,
            "status": deployment.status,
            "endTime": deployment.complete_time,
            "createTime": deployment.create_time,
        }
        if group is not None:
            group["lastAttemptedDeployment"] = summary
            if deployment.status == "Succeeded":
                group["lastSuccessfulDeployment"] = summary
                group["targetRevision"] = deployment.revision
        deployment.rs.world.deployment_finished(deployment.rs, deployment.id)

    def start_rollback(self, failed: Deployment) -> Deployment:
        rollback = Deployment(
            failed.rs,
            application=failed.application,
            group=failed.group,
            config=failed.config,
            revision=failed.previous_revision or failed.revision,
            appspec=None,
            creator="codeDeployRollback",
            description=f"Rollback of {failed.id}",
            auto_rollback=failed.auto_rollback,
            previous_revision=failed.revision,
            rollback_of=failed,
        )
        self.deployments[rollback.id] = rollback
        group = self.groups.get((failed.application, failed.group["name"]))
        if group is not None:
            group["lastAttemptedDeployment"] = {
                "deploymentId": rollback.id,
                "status": rollback.status,
                "createTime": rollback.create_time,
            }
        return rollback


class CodeDeploy(JsonApi):
    botocore_name = "codedeploy"

    # ---- lookups -----------------------------------------------------------------------------

    @staticmethod
    def _app(rs, name: str | None) -> dict:
        if not name:
            raise AwsErrorResponse(
                "ApplicationNameRequiredException",
                "The minimum number of required application names was not specified.",
            )
        if not NAME_RE.match(name):
            raise AwsErrorResponse("InvalidApplicationNameException", f"The application name {name} is not valid.")
        app = rs.codedeploy.applications.get(name)
        if app is None:
            raise AwsErrorResponse("ApplicationDoesNotExistException", f"No application found for name: {name}")
        return app

    def _group(self, rs, app_name: str | None, name: str | None) -> dict:
        self._app(rs, app_name)
        if not name:
            raise AwsErrorResponse(
                "DeploymentGroupNameRequiredException", "The deployment group name was not specified."
            )
        if not NAME_RE.match(name):
            raise AwsErrorResponse(
                "InvalidDeploymentGroupNameException", f"The deployment group name {name} is not valid."
            )
        group = rs.codedeploy.groups.get((app_name, name))
        if group is None:
            raise AwsErrorResponse(
                "DeploymentGroupDoesNotExistException",
                f"No Deployment Group found for name: {name} in application {app_name}",
            )
        return group

    @staticmethod
    def _deployment(rs, deployment_id: str | None) -> Deployment:
        if not deployment_id:
            raise AwsErrorResponse("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
        if not DEPLOYMENT_ID_RE.match(deployment_id):
            raise AwsErrorResponse(
                "InvalidDeploymentIdException", f"Specified DeploymentId is not in the valid format: {deployment_id}"
            )
        deployment = rs.codedeploy.deployments.get(deployment_id)
        if deployment is None:
            raise AwsErrorResponse(
                "DeploymentDoesNotExistException", f"The deployment {deployment_id} could not be found."
            )
        return deployment

    @staticmethod
    def _config(rs, name: str) -> dict:
        if name in PREDEFINED_CONFIGS:
            return {"deploymentConfigName": name, **PREDEFINED_CONFIGS[name]}
        if name not in rs.codedeploy.configs:
            raise AwsErrorResponse(
                "DeploymentConfigDoesNotExistException", f"No deployment configuration found for name: {name}"
            )
        return rs.codedeploy.configs[name]

    # ---- applications ------------------------------------------------------------------------

    def create_application(self, rs, p):
        name = p["applicationName"]
        if not NAME_RE.match(name):
            raise AwsErrorResponse("InvalidApplicationNameException", f"The application name {name} is not valid.")
        if name in rs.codedeploy.applications:
            raise AwsErrorResponse("ApplicationAlreadyExistsException", f"The application {name} already exists.")
        app = {
            "applicationId": str(uuid.uuid4()),
            "applicationName": name,
            "createTime": rs.now(),
            "linkedToGitHub": False,
            "computePlatform": p.get("computePlatform", "Server"),
        }
        rs.codedeploy.applications[name] = app
        rs.codedeploy.tags[self._app_arn(rs, name)] = {t["Key"]: t.get("Value", "") for t in p.get("tags", [])}
        return {"applicationId": app["applicationId"]}

    @staticmethod
    def _app_arn(rs, name):
        return f"arn:aws:codedeploy:{rs.name}:{rs.account}:application:{name}"

    @staticmethod
    def _group_arn(rs, app, name):
        return f"arn:aws:codedeploy:{rs.name}:{rs.account}:deploymentgroup:{app}/{name}"

    def get_application(self, rs, p):
        return {"application": dict(self._app(rs, p["applicationName"]))}

    def batch_get_applications(self, rs, p):
        names = p["applicationNames"]
        if len(names) > 100:
            raise AwsErrorResponse(
                "BatchLimitExceededException",
                "The maximum number of names or IDs allowed for this request (100) was exceeded.",
            )
        return {"applicationsInfo": [dict(self._app(rs, n)) for n in names]}

    def list_applications(self, rs, p):
        return {"applications": sorted(rs.codedeploy.applications)}

    def update_application(self, rs, p):
        app = self._app(rs, p.get("applicationName"))
        new = p.get("newApplicationName")
        if new and new != app["applicationName"]:
            if new in rs.codedeploy.applications:
                raise AwsErrorResponse("ApplicationAlreadyExistsException", f"The application {new} already exists.")
            old = app["applicationName"]
            rs.codedeploy.applications[new] = rs.codedeploy.applications.pop(old)
            app["applicationName"] = new
            for (a, g), group in list(rs.codedeploy.groups.items()):
                if a == old:
                    group["applicationName"] = new
                    rs.codedeploy.groups[(new, g)] = rs.codedeploy.groups.pop((a, g))
        return {}

    def delete_application(self, rs, p):
        name = p["applicationName"]
        if not NAME_RE.match(name):
            raise AwsErrorResponse("InvalidApplicationNameException", f"The application name {name} is not valid.")
        rs.codedeploy.applications.pop(name, None)
        for key in [k for k in rs.codedeploy.groups if k[0] == name]:
            del rs.codedeploy.groups[key]
        return {}

    # ---- deployment groups -------------------------------------------------------------------

    def _validate_group(self, rs, app: dict, p: dict, existing: dict | None = None) -> dict:
        """Merge the request into a group (new or existing) and check it as AWS does for ECS."""
        group = copy.deepcopy(existing) if existing else {}
        for key in (
            "deploymentConfigName",
            "serviceRoleArn",
            "autoRollbackConfiguration",
            "deploymentStyle",
            "blueGreenDeploymentConfiguration",
            "loadBalancerInfo",
            "ecsServices",
            "alarmConfiguration",
            "triggerConfigurations",
            "outdatedInstancesStrategy",
            "terminationHookEnabled",
        ):
            if key in p:
                group[key] = copy.deepcopy(p[key])
        config_name = group.setdefault(
            "deploymentConfigName",
            "CodeDeployDefault.ECSAllAtOnce" if app["computePlatform"] == "ECS" else "CodeDeployDefault.OneAtATime",
        )
        config = self._config(rs, config_name)
        if config["computePlatform"] != app["computePlatform"]:
            raise AwsErrorResponse(
                "InvalidDeploymentConfigNameException",
                f"The deployment configuration {config_name} is for {config['computePlatform']}, "
                f"not {app['computePlatform']}.",
            )
        role = group.get("serviceRoleArn")
        if not role:
            raise AwsErrorResponse("RoleRequiredException", "The role ID was not specified.")
        self._check_role(rs, role)
        if "alarmConfiguration" in p:
            alarms.check_configuration(p["alarmConfiguration"] or {})
        group.setdefault("autoRollbackConfiguration", {"enabled": False, "events": []})
        group.setdefault("alarmConfiguration", {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []})
        group.setdefault("triggerConfigurations", [])
        group.setdefault("outdatedInstancesStrategy", "UPDATE")
        group.setdefault("terminationHookEnabled", False)
        if app["computePlatform"] != "ECS":
            return group
        style = group.get("deploymentStyle") or {}
        if style.get("deploymentType") != "BLUE_GREEN" or style.get("deploymentOption") != "WITH_TRAFFIC_CONTROL":
            raise AwsErrorResponse(
                "InvalidDeploymentStyleException",
                "For ECS deployment group, deploymentType must be BLUE_GREEN and deploymentOption WITH_TRAFFIC_CONTROL",
            )
        blue_green = group.get("blueGreenDeploymentConfiguration") or {}
        termination = blue_green.get("terminateBlueInstancesOnDeploymentSuccess") or {}
        wait = termination.get("terminationWaitTimeInMinutes", 0)
        if not 0 <= int(wait) <= 2880:
            raise AwsErrorResponse(
                "InvalidBlueGreenDeploymentConfigurationException",
                "terminationWaitTimeInMinutes must be between 0 and 2880 for ECS.",
            )
        ready = blue_green.get("deploymentReadyOption") or {}
        if int(ready.get("waitTimeInMinutes", 0)) > 7200:
            raise AwsErrorResponse(
                "InvalidBlueGreenDeploymentConfigurationException", "waitTimeInMinutes must be at most 7200 (5 days)."
            )
        services = group.get("ecsServices") or []
        if len(services) != 1 or not services[0].get("serviceName") or not services[0].get("clusterName"):
            raise AwsErrorResponse(
                "InvalidECSServiceException", "An ECS deployment group needs exactly one ECS service."
            )
        self._check_service(rs, services[0], app["applicationName"], p.get("deploymentGroupName") or group.get("name"))
        self._check_load_balancer(rs, group.get("loadBalancerInfo") or {})
        return group

    @staticmethod
    def _check_role(rs, role: str) -> None:
        if not ROLE_ARN_RE.match(role):
            raise AwsErrorResponse("InvalidRoleException", f"The service role {role} is not a valid IAM role ARN.")
        check_codedeploy_role(rs.world, role)
        try:
            found = rs.aws.iam.get_role(RoleName=role.rsplit("/", 1)[-1])["Role"]
        except ClientError:
            found = {}
        if found.get("Arn") != role:
            raise AwsErrorResponse(
                "InvalidRoleException", f"CodeDeploy cannot assume the role {role}: it does not exist."
            )
        trust = found.get("AssumeRolePolicyDocument") or {}
        if not isinstance(trust, str):
            trust = json.dumps(trust)
        if "codedeploy.amazonaws.com" not in trust:
            raise AwsErrorResponse("InvalidRoleException", f"The role {role} does not trust codedeploy.amazonaws.com.")

    @staticmethod
    def _check_service(rs, ref: dict, app_name: str, group_name: str) -> None:
        service = rs.aws.service(ref["clusterName"], ref["serviceName"]) if ref else None
        if service is None:
            raise AwsErrorResponse(
                "InvalidECSServiceException",
                f"The ECS service {ref['serviceName']} in cluster {ref['clusterName']} does not exist.",
            )
        if (service.get("deploymentController") or {}).get("type") != "CODE_DEPLOY":
            raise AwsErrorResponse(
                "InvalidECSServiceException",
                f"The ECS service {ref['serviceName']} must use the CODE_DEPLOY deployment controller.",
            )
        for (app, name), group in rs.codedeploy.groups.items():
            if (app, name) != (app_name, group_name) and ref in (group.get("ecsServices") or []):
                raise AwsErrorResponse(
                    "ECSServiceMappingLimitExceededException",
                    f"The ECS service is already associated with deployment group {app}/{name}.",
                )

    @staticmethod
    def _check_load_balancer(rs, info: dict) -> None:
        pairs = info.get("targetGroupPairInfoList") or []
        if len(pairs) != 1:
            raise AwsErrorResponse(
                "InvalidLoadBalancerInfoException", "An ECS deployment group needs one target group pair."
            )
        pair = pairs[0]
        names = [g.get("name") for g in pair.get("targetGroups") or []]
        if len(names) != 2 or len(set(names)) != 2 or not all(names):
            raise AwsErrorResponse(
                "InvalidTargetGroupPairException", "A target group pair needs two different target groups."
            )
        try:
            rs.aws.target_group_arns(names)
        except ClientError as exc:
            raise AwsErrorResponse("InvalidTargetGroupPairException", f"Target group not found: {exc}") from exc
        prod = (pair.get("prodTrafficRoute") or {}).get("listenerArns") or []
        test = (pair.get("testTrafficRoute") or {}).get("listenerArns") or []
        if len(prod) != 1 or len(test) > 1:
            raise AwsErrorResponse(
                "InvalidTargetGroupPairException",
                "A target group pair needs one production listener and at most one test listener.",
            )
        try:
            rs.aws.elbv2.describe_listeners(ListenerArns=prod + test)
        except ClientError as exc:
            raise AwsErrorResponse("InvalidTargetGroupPairException", f"Listener not found: {exc}") from exc

    def create_deployment_group(self, rs, p):
        app = self._app(rs, p["applicationName"])
        name = p["deploymentGroupName"]
        if not NAME_RE.match(name):
            raise AwsErrorResponse(
                "InvalidDeploymentGroupNameException", f"The deployment group name {name} is not valid."
            )
        if (app["applicationName"], name) in rs.codedeploy.groups:
            raise AwsErrorResponse(
                "DeploymentGroupAlreadyExistsException", f"The deployment group {name} already exists."
            )
        group = self._validate_group(rs, app, p)
        group.update(
            applicationName=app["applicationName"],
            deploymentGroupId=str(uuid.uuid4()),
            name=name,
            computePlatform=app["computePlatform"],
        )
        rs.codedeploy.groups[(app["applicationName"], name)] = group
        arn = self._group_arn(rs, app["applicationName"], name)
        rs.codedeploy.tags[arn] = {t["Key"]: t.get("Value", "") for t in p.get("tags", [])}
        return {"deploymentGroupId": group["deploymentGroupId"]}

    @staticmethod
    def _group_info(group: dict) -> dict:
        info = {k: v for k, v in group.items() if k != "name"}
        info["deploymentGroupName"] = group["name"]
        return copy.deepcopy(info)

    def get_deployment_group(self, rs, p):
        return {
            "deploymentGroupInfo": self._group_info(self._group(rs, p["applicationName"], p["deploymentGroupName"]))
        }

    def batch_get_deployment_groups(self, rs, p):
        self._app(rs, p["applicationName"])
        infos, missing = [], []
        for name in p["deploymentGroupNames"]:
            group = rs.codedeploy.groups.get((p["applicationName"], name))
            (infos.append(self._group_info(group)) if group else missing.append(name))
        message = f"Deployment groups not found: {', '.join(missing)}" if missing else None
        return {"deploymentGroupsInfo": infos, "errorMessage": message}

    def list_deployment_groups(self, rs, p):
        self._app(rs, p["applicationName"])
        names = sorted(n for a, n in rs.codedeploy.groups if a == p["applicationName"])
        return {"applicationName": p["applicationName"], "deploymentGroups": names}

    def update_deployment_group(self, rs, p):
        app = self._app(rs, p["applicationName"])
        current = p["currentDeploymentGroupName"]
        group = self._group(rs, app["applicationName"], current)
        new = p.get("newDeploymentGroupName") or current
        if new != current:
            if not NAME_RE.match(new):
                raise AwsErrorResponse(
                    "InvalidDeploymentGroupNameException", f"The deployment group name {new} is not valid."
                )
            if (app["applicationName"], new) in rs.codedeploy.groups:
                raise AwsErrorResponse(
                    "DeploymentGroupAlreadyExistsException", f"The deployment group {new} already exists."
                )
        updated = self._validate_group(rs, app, {**p, "deploymentGroupName": current}, existing=group)
        updated["name"] = new
        del rs.codedeploy.groups[(app["applicationName"], current)]
        rs.codedeploy.groups[(app["applicationName"], new)] = updated
        return {"hooksNotCleanedUp": []}

    def delete_deployment_group(self, rs, p):
        app_name, name = p["applicationName"], p["deploymentGroupName"]
        if not NAME_RE.match(app_name):
            raise AwsErrorResponse("InvalidApplicationNameException", f"The application name {app_name} is not valid.")
        if not NAME_RE.match(name):
            raise AwsErrorResponse(
                "InvalidDeploymentGroupNameException", f"The deployment group name {name} is not valid."
            )
        rs.codedeploy.groups.pop((app_name, name), None)
        return {"hooksNotCleanedUp": []}

    # ---- deployment configurations -------------------------------------------------------

    def get_deployment_config(self, rs, p):
        name = p["deploymentConfigName"]
        config = self._config(rs, name)
        info = {
            "deploymentConfigId": config.get("deploymentConfigId") or str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            "deploymentConfigName": name,
            "computePlatform": config["computePlatform"],
            "minimumHealthyHosts": config.get("minimumHealthyHosts"),
            "trafficRoutingConfig": config.get("trafficRoutingConfig"),
            "createTime": config.get("createTime"),
        }
        return {"deploymentConfigInfo": info}

    def list_deployment_configs(self, rs, p):
        return {"deploymentConfigsList": sorted([*PREDEFINED_CONFIGS, *rs.codedeploy.configs])}

    def create_deployment_config(self, rs, p):
        name = p["deploymentConfigName"]
        if not NAME_RE.match(name) or name.startswith("CodeDeployDefault."):
            raise AwsErrorResponse(
                "InvalidDeploymentConfigNameException", f"The deployment configuration name {name} is not valid."
            )
        if name in rs.codedeploy.configs:
            raise AwsErrorResponse(
                "DeploymentConfigAlreadyExistsException", f"The deployment configuration {name} already exists."
            )
        platform = p.get("computePlatform", "Server")
        routing = p.get("trafficRoutingConfig")
        if platform == "ECS":
            routing = routing or {"type": "AllAtOnce"}
            kind = routing.get("type")
            detail = {"TimeBasedCanary": "timeBasedCanary", "TimeBasedLinear": "timeBasedLinear"}.get(kind)
            values = routing.get(detail) or {} if detail else {}
            percent = values.get("canaryPercentage", values.get("linearPercentage"))
            interval = values.get("canaryInterval", values.get("linearInterval"))
            if kind not in ("AllAtOnce", "TimeBasedCanary", "TimeBasedLinear") or (
                detail and (not percent or not 0 < int(percent) <= 100 or not interval or int(interval) < 1)
            ):
                raise AwsErrorResponse(
                    "InvalidTrafficRoutingConfigurationException",
                    "The traffic routing configuration is not valid for ECS (percentage 1-100, interval >= 1 minute).",
                )
            if p.get("minimumHealthyHosts"):
                raise AwsErrorResponse(
                    "InvalidMinimumHealthyHostValueException", "minimumHealthyHosts does not apply to ECS."
                )
        config = {
            "deploymentConfigId": str(uuid.uuid4()),
            "deploymentConfigName": name,
            "computePlatform": platform,
            "trafficRoutingConfig": routing,
            "minimumHealthyHosts": p.get("minimumHealthyHosts"),
            "createTime": rs.now(),
        }
        rs.codedeploy.configs[name] = config
        return {"deploymentConfigId": config["deploymentConfigId"]}

    def delete_deployment_config(self, rs, p):
        name = p["deploymentConfigName"]
        if name in PREDEFINED_CONFIGS:
            raise AwsErrorResponse(
                "InvalidOperationException", "A predefined deployment configuration cannot be deleted."
            )
        if any(g.get("deploymentConfigName") == name for g in rs.codedeploy.groups.values()):
            raise AwsErrorResponse("DeploymentConfigInUseException", f"The deployment configuration {name} is in use.")
        rs.codedeploy.configs.pop(name, None)
        return {}

    # ---- deployments -----------------------------------------------------------------------

    def _appspec_content(self, rs, revision: dict) -> str:
        kind = revision.get("revisionType")
        if kind == "AppSpecContent":
            content = (revision.get("appSpecContent") or {}).get("content")
        elif kind == "String":
            content = (revision.get("string") or {}).get("content")
        elif kind == "S3":
            location = revision.get("s3Location") or {}
            try:
                kwargs = {"Bucket": location["bucket"], "Key": location["key"]}
                if location.get("version"):
                    kwargs["VersionId"] = location["version"]
                content = rs.aws.s3.get_object(**kwargs)["Body"].read().decode()
            except (KeyError, ClientError) as exc:
                raise AwsErrorResponse(
                    "RevisionDoesNotExistException", f"The revision could not be read from S3: {exc}"
                ) from exc
        else:
            raise AwsErrorResponse(
                "InvalidRevisionException", f"Revision type {kind} is not supported for ECS deployments."
            )
        if not content:
            raise AwsErrorResponse("InvalidRevisionException", "The AppSpec content is empty.")
        return content

    def create_deployment(self, rs, p, creator: str = "user"):
        app = self._app(rs, p["applicationName"])
        if not p.get("deploymentGroupName"):
            raise AwsErrorResponse(
                "DeploymentGroupNameRequiredException", "The deployment group name was not specified."
            )
        group = self._group(rs, app["applicationName"], p["deploymentGroupName"])
        revision = p.get("revision")
        if not revision:
            raise AwsErrorResponse("RevisionRequiredException", "The revision ID was not specified.")
        if app["computePlatform"] != "ECS":
            raise AwsErrorResponse(
                "InvalidComputePlatformException", "The sandbox emulates the ECS compute platform only."
            )
        if len(p.get("description") or "") > 1000:
            raise AwsErrorResponse("DescriptionTooLongException", "The description is too long.")
        content = self._appspec_content(rs, revision)
        appspec = parse_appspec(content)
        if p.get("overrideAlarmConfiguration"):
            alarms.check_configuration(p["overrideAlarmConfiguration"])
        config = self._config(rs, p.get("deploymentConfigName") or group["deploymentConfigName"])
        if config["computePlatform"] != "ECS":
            raise AwsErrorResponse(
                "InvalidDeploymentConfigNameException", "The deployment configuration is not for ECS."
            )
        active = [
            d
            for d in rs.codedeploy.deployments.values()
            if d.active and d.group["name"] == group["name"] and d.application == app["applicationName"]
        ]
        if active:
            raise AwsErrorResponse(
                "DeploymentLimitExceededException",
                f"The Deployment Group '{group['name']}' already has an active Deployment '{active[0].id}'",
            )
        if revision.get("revisionType") == "AppSpecContent":
            revision = {
                "revisionType": "AppSpecContent",
                "appSpecContent": {"content": content, "sha256": revision_sha256(content)},
            }
        deployment = Deployment(
            rs,
            application=app["applicationName"],
            group=self._group_info(group) | {"name": group["name"]},
            config=config,
            revision=revision,
            appspec=appspec,
            creator=creator,
            description=p.get("description"),
            auto_rollback=p.get("autoRollbackConfiguration"),
            previous_revision=group.get("targetRevision"),
            override_alarms=p.get("overrideAlarmConfiguration"),
        )
        rs.codedeploy.deployments[deployment.id] = deployment
        group["lastAttemptedDeployment"] = {
            "deploymentId": deployment.id,
            "status": deployment.status,
            "createTime": deployment.create_time,
        }
        return {"deploymentId": deployment.id}

    def get_deployment(self, rs, p):
        return {"deploymentInfo": self._deployment(rs, p["deploymentId"]).info()}

    def batch_get_deployments(self, rs, p):
        ids = p["deploymentIds"]
        if len(ids) > 25:
            raise AwsErrorResponse(
                "BatchLimitExceededException",
                "The maximum number of names or IDs allowed for this request (25) was exceeded.",
            )
        infos = []
        for deployment_id in ids:
            if not DEPLOYMENT_ID_RE.match(deployment_id):
                raise AwsErrorResponse(
                    "InvalidDeploymentIdException",
                    f"Specified DeploymentId is not in the valid format: {deployment_id}",
                )
            if deployment_id in rs.codedeploy.deployments:
                infos.append(rs.codedeploy.deployments[deployment_id].info())
        return {"deploymentsInfo": infos}

    def list_deployments(self, rs, p):
        app_name, group_name = p.get("applicationName"), p.get("deploymentGroupName")
        if app_name and not group_name:
            raise AwsErrorResponse(
                "DeploymentGroupNameRequiredException", "The deployment group name was not specified."
            )
        if group_name and not app_name:
            raise AwsErrorResponse("ApplicationNameRequiredException", "The application name was not specified.")
        if app_name:
            self._group(rs, app_name, group_name)
        statuses = p.get("includeOnlyStatuses") or []
        time_range = p.get("createTimeRange") or {}
        start, end = time_range.get("start"), time_range.get("end")
        if start and end and start > end:
            raise AwsErrorResponse(
                "InvalidTimeRangeException", "The specified time range was specified in an invalid format."
            )
        after = self._token_seq(p.get("nextToken"))
        # AWS documents no order. Oldest first is the least convenient legal one: code that takes the
        # first id as the newest, or reads only the first page, fails here every time.
        found = []
        for d in sorted(rs.codedeploy.deployments.values(), key=lambda d: d.seq):
            if d.seq <= after:
                continue
            if app_name and (d.application, d.group["name"]) != (app_name, group_name):
                continue
            if statuses and d.status not in statuses:
                continue
            if (start and d.create_time < start) or (end and d.create_time > end):
                continue
            found.append(d)
        size = rs.world.settings.list_deployments_page_size
        out = {"deployments": [d.id for d in found[:size]]}
        if len(found) > size:
            out["nextToken"] = self._token(found[size - 1].seq)
        return out

    @staticmethod
    def _token(seq: int) -> str:
        return base64.urlsafe_b64encode(json.dumps({"after": seq}).encode()).decode()

    @staticmethod
    def _token_seq(token: str | None) -> int:
        if not token:
            return -1
        try:
            seq = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
            if not isinstance(seq, int):
                raise TypeError(seq)
        except (ValueError, KeyError, TypeError) as exc:
            raise AwsErrorResponse(
                "InvalidNextTokenException", "The next token was specified in an invalid format."
            ) from exc
        return seq

    def continue_deployment(self, rs, p):
        deployment = self._deployment(rs, p["deploymentId"])
        deployment.continue_(p.get("deploymentWaitType") or "READY_WAIT")
        return {}

    def stop_deployment(self, rs, p):
        deployment = self._deployment(rs, p["deploymentId"])
        return deployment.stop(p.get("autoRollbackEnabled"))

    # ---- targets -------------------------------------------------------------------------------

    def _started(self, rs, deployment_id):
        deployment = self._deployment(rs, deployment_id)
        if deployment.status in ("Created", "Queued"):
            raise AwsErrorResponse("DeploymentNotStartedException", f"The deployment {deployment.id} has not started.")
        return deployment

    def list_deployment_targets(self, rs, p):
        deployment = self._started(rs, p["deploymentId"])
        return {"targetIds": [deployment.target_id]}

    def get_deployment_target(self, rs, p):
        deployment = self._started(rs, p["deploymentId"])
        if not p.get("targetId"):
            raise AwsErrorResponse("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
        if p["targetId"] != deployment.target_id:
            raise AwsErrorResponse(
                "DeploymentTargetDoesNotExistException", f"The target {p['targetId']} does not exist."
            )
        return {"deploymentTarget": deployment.target()}

    def batch_get_deployment_targets(self, rs, p):
        deployment = self._started(rs, p["deploymentId"])
        ids = p.get("targetIds") or []
        if not ids:
            raise AwsErrorResponse("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
        if len(ids) > 25:
            raise AwsErrorResponse("DeploymentTargetListSizeExceededException", "At most 25 target IDs may be given.")
        for target_id in ids:
            if target_id != deployment.target_id:
                raise AwsErrorResponse(
                    "DeploymentTargetDoesNotExistException", f"The target {target_id} does not exist."
                )
        return {"deploymentTargets": [deployment.target() for _ in ids]}

    # ---- tags ------------------------------------------------------------------------------

    def _tagged(self, rs, arn: str) -> dict:
        if not arn.startswith("arn:aws:codedeploy:"):
            raise AwsErrorResponse("InvalidArnException", f"The ARN {arn} is not valid.")
        if arn not in rs.codedeploy.tags:
            kind = "application" if ":application:" in arn else "deploymentgroup"
            if kind == "application":
                raise AwsErrorResponse("ApplicationDoesNotExistException", f"No application found for {arn}")
            raise AwsErrorResponse("DeploymentGroupDoesNotExistException", f"No deployment group found for {arn}")
        return rs.codedeploy.tags[arn]

    def tag_resource(self, rs, p):
        self._tagged(rs, p["ResourceArn"]).update({t["Key"]: t.get("Value", "") for t in p["Tags"]})
        return {}

    def untag_resource(self, rs, p):
        tags = self._tagged(rs, p["ResourceArn"])
        for key in p["TagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, rs, p):
        arn = p["ResourceArn"]
        if not arn.startswith("arn:aws:codedeploy:"):
            raise AwsErrorResponse("InvalidArnException", f"The ARN {arn} is not valid.")
        tags = rs.codedeploy.tags.get(arn, {})
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
