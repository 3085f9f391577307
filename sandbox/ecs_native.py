"""ECS's own blue/green (the ECS deployment controller with the BLUE_GREEN, LINEAR or CANARY strategy), around moto.

moto stores the service (it drops `deploymentConfiguration` on CreateService and starts no deployment); this layer
keeps, per service, its deployment configuration, its service revisions and its service deployments
(ecs_deployments.py), and shows them where ECS shows them: the `service` of CreateService, UpdateService,
DeleteService and DescribeServices (`deployments`, `deploymentConfiguration`, `currentServiceDeployment`,
`currentServiceRevisions`, task counts) and the service-deployment operations (ecs_deployment_api.py).

Requests from outside are checked before moto sees them (ecs_checks.py); the emulation's own calls (the pipeline's
ECS action) come in through `update_service` here, never through the WSGI layer, so none waits on the world's lock.
"""

import copy
import json
import secrets

from sandbox import wire
from sandbox.api import AwsErrorResponse
from sandbox.aws import ClientError
from sandbox.ecs_checks import BLUE_GREEN_STRATEGIES, check_blue_green, check_controller_change
from sandbox.ecs_deployments import ServiceDeployment

DEPLOYING_KEYS = ("taskDefinition", "loadBalancers", "networkConfiguration", "platformVersion", "launchType")
DEPLOYING_KEYS += ("capacityProviderStrategy", "serviceRegistries", "volumeConfigurations")
DEFAULT_CONFIGURATION = {
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
}


class EcsNativeState:
    """One account's region: blue/green services by ARN, their revisions and deployments by ARN."""

    def __init__(self):
        self.services: dict[str, dict] = {}
        self.revisions: dict[str, dict] = {}
        self.deployments: dict[str, ServiceDeployment] = {}

    def of(self, service_arn: str) -> list[ServiceDeployment]:
        return sorted((d for d in list(self.deployments.values()) if d.service_arn == service_arn), key=lambda d: d.seq)

    # ---- called by deployments -------------------------------------------------------------------

    def promote(self, d: ServiceDeployment) -> None:
        svc = self.services[d.service_arn]
        svc["production_tg"], svc["production"] = d.green_tg, d.target
        svc["task_definition"] = self.revisions[d.target]["taskDefinition"]
        green = self.revisions[d.target]
        green.update(
            _status="PRIMARY", _rollout="COMPLETED", _rollout_reason=f"ECS deployment {green['_id']} completed."
        )
        for arn in d.sources + d.reconcile:
            self.revisions[arn]["_status"] = "INACTIVE"

    def rolled_back(self, d: ServiceDeployment) -> None:
        svc = self.services[d.service_arn]
        svc["task_definition"] = self.revisions[d.blue]["taskDefinition"]
        self.revisions[d.blue]["_status"] = "PRIMARY"
        for arn in [d.target, *d.reconcile]:
            self.revisions[arn]["_status"] = "INACTIVE"

    def deployment_ended(self, d: ServiceDeployment) -> None:
        d.rs.world.service_deployment_finished(d.rs, d.arn)


class EcsNative:
    """The WSGI side: answers or rewrites the ECS requests that concern blue/green services."""

    def __init__(self, app):
        from sandbox.ecs_deployment_api import EcsDeploymentApi

        self.app = app
        self.world = app.sandbox.world
        self.api = EcsDeploymentApi(self.world)

    def handle(self, req, environ, start_response):
        """An answer, or None to let moto answer alone."""
        if req.operation in self.api.OPERATIONS:
            return self.api.handle(req, start_response)
        if req.operation not in ("CreateService", "UpdateService", "DeleteService", "DescribeServices"):
            return None
        try:
            params = json.loads(req.body or b"{}")
        except ValueError:
            return None
        if req.operation == "DescribeServices":  # no lock: the emulation itself describes services holding it
            rs = self.world.regions.get((req.account, req.region))
            return self._rewritten(environ, start_response, rs) if rs is not None else None
        if req.internal:
            return None
        rs = self.world.region(req.account, req.region)
        try:
            with self.world.lock:
                if req.operation == "CreateService":
                    return self._create(rs, params, environ, start_response)
                if req.operation == "UpdateService":
                    return self._update(rs, params, environ, start_response)
                return self._delete(rs, environ, start_response)
        except AwsErrorResponse as err:
            return wire.error_response(start_response, req, err.code, err.message, err.status)

    def _rewritten(self, environ, start_response, rs, after=None):
        """moto's answer, with every blue/green service in it shown as ECS shows it."""
        status, headers, body = self.app.moto_answer(environ)
        if status.startswith("200"):
            data = json.loads(body)
            if after:
                after(data)
            for service in data.get("services") or ([data["service"]] if data.get("service") else []):
                overlay(rs, service)
            body = json.dumps(data, default=wire._json_default).encode()
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    def _create(self, rs, params, environ, start_response):
        if not is_blue_green(params.get("deploymentController"), params.get("deploymentConfiguration")):
            return None
        check_blue_green(rs, params.get("deploymentConfiguration") or {}, params.get("loadBalancers") or [])
        return self._rewritten(environ, start_response, rs, after=lambda data: created(rs, params, data["service"]))

    def _update(self, rs, params, environ, start_response):
        before = current_service(rs, params.get("cluster") or "default", params.get("service") or "")
        if before is None:
            return None  # moto answers ServiceNotFoundException / ClusterNotFoundException
        svc = rs.ecs_native.services.get(before["serviceArn"])
        current = (
            rs.ecs_native.deployments.get(svc["current_deployment"]) if svc and svc["current_deployment"] else None
        )
        deploying = (current is not None and current.active) or len(before.get("taskSets") or []) > 1
        check_controller_change(before, params, deploying)
        config = merged_config(svc["config"] if svc else before.get("deploymentConfiguration"), params)
        controller = params.get("deploymentController") or before.get("deploymentController")
        if not svc and not is_blue_green(controller, config):
            return None
        if is_blue_green(controller, config):
            check_blue_green(rs, config, params.get("loadBalancers") or before.get("loadBalancers") or [])
        return self._rewritten(
            environ, start_response, rs, after=lambda data: updated(rs, params, before, data["service"], config)
        )

    def _delete(self, rs, environ, start_response):
        def forget(data):
            arn = data["service"]["serviceArn"]
            rs.ecs_native.services.pop(arn, None)  # "When you delete a service, Amazon ECS deletes its deployments."
            for d in rs.ecs_native.of(arn):
                del rs.ecs_native.deployments[d.arn]

        return self._rewritten(environ, start_response, rs, after=forget)


# ---- the model -----------------------------------------------------------------------------------


def is_blue_green(controller: dict | None, config: dict | None) -> bool:
    return (controller or {}).get("type", "ECS") == "ECS" and (config or {}).get("strategy") in BLUE_GREEN_STRATEGIES


def merged_config(old: dict | None, params: dict) -> dict:
    config = copy.deepcopy(old or {})
    config.update(copy.deepcopy(params.get("deploymentConfiguration") or {}))
    return config


def current_service(rs, cluster: str, service: str) -> dict | None:
    try:
        found = rs.aws.ecs.describe_services(cluster=cluster, services=[service])["services"]
    except ClientError:
        return None
    return found[0] if found and found[0].get("status") == "ACTIVE" else None


def blue_green_lb(load_balancers: list[dict]) -> dict:
    lb = next(lb for lb in load_balancers if lb.get("advancedConfiguration"))
    return {**lb["advancedConfiguration"], "targetGroupArn": lb["targetGroupArn"]}


def created(rs, params: dict, service: dict) -> None:
    svc = {
        "arn": service["serviceArn"],
        "cluster_arn": service["clusterArn"],
        "cluster": service["clusterArn"].split("/")[-1],
        "name": service["serviceName"],
        "config": {**copy.deepcopy(DEFAULT_CONFIGURATION), **copy.deepcopy(params["deploymentConfiguration"])},
        "desired": int(service.get("desiredCount") or 0),
        "lb": blue_green_lb(service.get("loadBalancers") or params.get("loadBalancers") or []),
        "task_definition": service.get("taskDefinition"),
        "production": None,
        "current_deployment": None,
    }
    svc["production_tg"] = svc["lb"]["targetGroupArn"]
    rs.ecs_native.services[svc["arn"]] = svc
    if svc["task_definition"]:
        deploy(rs, svc, new_revision(rs, svc, service))


def updated(rs, params: dict, before: dict, service: dict, config: dict) -> None:
    svc = rs.ecs_native.services.get(service["serviceArn"])
    if svc is None:  # a service becoming blue/green: what runs now is its first (production) revision
        created(rs, {"deploymentConfiguration": config}, {**service, "taskDefinition": None})
        svc = rs.ecs_native.services[service["serviceArn"]]
        blue = new_revision(rs, svc, before)
        blue.update(_status="PRIMARY", _rollout="COMPLETED", _requested=svc["desired"], _running=svc["desired"])
        blue.update(_tg=svc["production_tg"], _rollout_reason=f"ECS deployment {blue['_id']} completed.")
        svc["production"], svc["task_definition"] = blue["serviceRevisionArn"], before.get("taskDefinition")
    svc["config"] = {**svc["config"], **config}
    if params.get("loadBalancers"):
        svc["lb"] = blue_green_lb(service["loadBalancers"])
        if svc["production_tg"] not in (svc["lb"]["targetGroupArn"], svc["lb"]["alternateTargetGroupArn"]):
            svc["production_tg"] = svc["lb"]["targetGroupArn"]
    if params.get("desiredCount") is not None:
        svc["desired"] = int(params["desiredCount"])
        if svc["production"]:
            rs.ecs_native.revisions[svc["production"]].update(_requested=svc["desired"], _running=svc["desired"])
    wanted = params.get("taskDefinition") or svc["task_definition"]
    changed = params.get("forceNewDeployment") or any(
        k in params and params[k] != before.get(k) for k in DEPLOYING_KEYS if k != "taskDefinition"
    )
    if wanted and (changed or wanted != svc["task_definition"]):
        svc["task_definition"] = service.get("taskDefinition") or wanted
        deploy(rs, svc, new_revision(rs, svc, service))


def update_service(rs, cluster: str, service: str, task_definition: str) -> ServiceDeployment | None:
    """The emulation's own UpdateService (the pipeline's ECS action): the service deployment it started."""
    before = current_service(rs, cluster, service)
    if before is None or before["serviceArn"] not in rs.ecs_native.services:
        raise AwsErrorResponse("ServiceNotFoundException", f"The service {service} is not a blue/green service.")
    after = rs.aws.ecs.update_service(cluster=cluster, service=service, taskDefinition=task_definition)["service"]
    svc = rs.ecs_native.services[before["serviceArn"]]
    updated(rs, {"taskDefinition": task_definition}, before, after, svc["config"])
    current = svc["current_deployment"]
    return rs.ecs_native.deployments.get(current) if current else None


def new_revision(rs, svc: dict, service: dict) -> dict:
    number = secrets.randbelow(9 * 10**18) + 10**18
    arn = f"arn:aws:ecs:{rs.name}:{rs.account}:service-revision/{svc['cluster']}/{svc['name']}/{number}"
    now = rs.now()
    revision = {
        "serviceRevisionArn": arn,
        "serviceArn": svc["arn"],
        "clusterArn": svc["cluster_arn"],
        "taskDefinition": service.get("taskDefinition") or svc["task_definition"],
        "capacityProviderStrategy": service.get("capacityProviderStrategy"),
        "launchType": service.get("launchType"),
        "platformVersion": service.get("platformVersion"),
        "platformFamily": service.get("platformFamily"),
        "loadBalancers": copy.deepcopy(service.get("loadBalancers") or []),
        "serviceRegistries": copy.deepcopy(service.get("serviceRegistries") or []),
        "networkConfiguration": copy.deepcopy(service.get("networkConfiguration")),
        "containerImages": container_images(rs, service.get("taskDefinition") or svc["task_definition"]),
        "guardDutyEnabled": False,
        "createdAt": now,
        "_id": f"ecs-svc/{secrets.randbelow(9 * 10**18) + 10**18}",
        "_status": "PRIMARY",
        "_requested": 0,
        "_running": 0,
        "_pending": 0,
        "_failed": 0,
        "_created": now,
        "_updated": now,
        "_rollout": "IN_PROGRESS",
        "_rollout_reason": None,
        "_tg": None,
    }
    rs.ecs_native.revisions[arn] = revision
    return revision


def container_images(rs, task_definition: str | None) -> list[dict]:
    if not task_definition:
        return []
    try:
        containers = rs.aws.ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    except ClientError:
        return []
    images = []
    for container in containers.get("containerDefinitions") or []:
        image = container.get("image", "")
        entry = {"containerName": container.get("name"), "image": image}
        if "@sha256:" in image:
            entry["imageDigest"] = image.split("@", 1)[1]
        images.append(entry)
    return images


def deploy(rs, svc: dict, revision: dict) -> ServiceDeployment:
    """A new service deployment of `revision`; one still running is stopped, and the new one reconciles its green."""
    state = rs.ecs_native
    reconcile = []
    for running in state.of(svc["arn"]):
        if running.active:
            running._end("STOPPED", f"The service deployment was superseded by a newer one of {revision['_id']}.")
            reconcile += [arn for arn in (running.target, *running.reconcile) if arn != svc["production"]]
    for arn in reconcile:
        state.revisions[arn]["_status"] = "ACTIVE"
    if svc["production"]:
        state.revisions[svc["production"]]["_status"] = "ACTIVE"
    sources = [svc["production"]] if svc["production"] else []
    deployment = ServiceDeployment(rs, svc, revision["serviceRevisionArn"], sources, reconcile)
    revision["_tg"] = deployment.green_tg
    state.deployments[deployment.arn] = deployment
    svc["current_deployment"] = deployment.arn
    return deployment


# ---- what DescribeServices shows -----------------------------------------------------------------


def overlay(rs, service: dict) -> None:
    svc = rs.ecs_native.services.get(service.get("serviceArn"))
    if svc is None:
        return
    revisions = [r for r in list(rs.ecs_native.revisions.values()) if r["serviceArn"] == svc["arn"]]
    live = sorted(
        (r for r in revisions if r["_status"] in ("PRIMARY", "ACTIVE")), key=lambda r: r["_status"] != "PRIMARY"
    )
    service["deploymentConfiguration"] = copy.deepcopy(svc["config"])
    service["taskDefinition"] = svc["task_definition"] or service.get("taskDefinition")
    service["deployments"] = [deployment_entry(r) for r in live]
    service["runningCount"] = sum(r["_running"] for r in live)
    service["pendingCount"] = sum(r["_pending"] for r in live)
    service["taskSets"] = []
    if svc["current_deployment"]:
        service["currentServiceDeployment"] = svc["current_deployment"]
    service["currentServiceRevisions"] = [
        {
            "arn": r["serviceRevisionArn"],
            "requestedTaskCount": r["_requested"],
            "runningTaskCount": r["_running"],
            "pendingTaskCount": r["_pending"],
        }
        for r in live
    ]


def deployment_entry(revision: dict) -> dict:
    """A service revision as an entry of the service's `deployments` (botocore's Deployment shape)."""
    entry = {
        "id": revision["_id"],
        "status": revision["_status"],
        "taskDefinition": revision["taskDefinition"],
        "desiredCount": revision["_requested"],
        "pendingCount": revision["_pending"],
        "runningCount": revision["_running"],
        "failedTasks": revision["_failed"],
        "createdAt": revision["_created"],
        "updatedAt": revision["_updated"],
        "launchType": revision["launchType"],
        "platformVersion": revision["platformVersion"],
        "platformFamily": revision["platformFamily"],
        "networkConfiguration": revision["networkConfiguration"],
        "rolloutState": revision["_rollout"],
        "rolloutStateReason": revision["_rollout_reason"] or f"ECS deployment {revision['_id']} in progress.",
    }
    return {k: v for k, v in entry.items() if v is not None}


def revision_view(rs, revision: dict) -> dict:
    """DescribeServiceRevisions' ServiceRevision, with the target group it really uses (`resolvedConfiguration`)."""
    view = {k: v for k, v in revision.items() if not k.startswith("_") and v is not None}
    svc = rs.ecs_native.services.get(revision["serviceArn"])
    if revision["_tg"] and svc:
        view["resolvedConfiguration"] = {
            "loadBalancers": [
                {"targetGroupArn": revision["_tg"], "productionListenerRule": svc["lb"]["productionListenerRule"]}
            ]
        }
    return view
