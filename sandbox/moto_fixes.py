"""Small patches of moto 5.2.5 bugs the sandbox cannot avoid. Each says what AWS does.

Applied once per process by `apply()`; they patch moto's ECS backend class, never its data.
"""

import copy
import functools
import math

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    from moto.ecs import models as ecs

    backend = ecs.EC2ContainerServiceBackend
    _speed_up_iam_managed_policies()
    _fix_ecr_retag_keeps_old_image()
    _fix_service_without_security_groups(ecs)
    _fix_create_task_set(backend)
    _fix_code_deploy_service_initial_task_set(backend)
    _fix_update_service_scales_task_sets(backend)
    _fix_default_vpc_internet_gateway()
    _fix_ecr_image_digest()
    _fix_events_test_event_pattern()


def _fix_default_vpc_internet_gateway() -> None:
    # AWS's default VPC has an internet gateway and a 0.0.0.0/0 route to it in its main route
    # table, which makes its default subnets public; moto's has only the local route.
    from moto.ec2.models.vpcs import VPCBackend

    original = VPCBackend.create_default_vpc

    @functools.wraps(original)
    def create_default_vpc(self):
        vpc = original(self)
        gateway = self.create_internet_gateway()
        self.attach_internet_gateway(gateway.id, vpc.id)
        main = next(t for t in self.route_tables.values() if t.vpc_id == vpc.id and t.main_association_id)
        self.create_route(main.id, "0.0.0.0/0", gateway_id=gateway.id)
        return vpc

    VPCBackend.create_default_vpc = create_default_vpc


def _fix_ecr_image_digest() -> None:
    # An image's digest is the sha256 of its manifest in AWS; moto hashes only the layer digests,
    # so two different images sharing layers would get the same digest.
    import hashlib

    from moto.ecr import models as ecr

    def create_digest(self):
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode()).hexdigest()

    ecr.Image._create_digest = create_digest


def _fix_events_test_event_pattern() -> None:
    # moto's TestEventPattern answers an empty body (no Result); AWS answers {"Result": bool}. moto
    # already matches patterns for PutEvents: answer with that same matcher. AWS also refuses an
    # event without its envelope fields.
    import json

    from moto.core.exceptions import JsonRESTError
    from moto.events import responses
    from moto.events.models import EventPattern, EventPatternParser

    envelope = ("id", "account", "source", "time", "region", "detail-type")

    def test_event_pattern(self):
        raw = self._get_param("EventPattern")
        pattern = EventPatternParser(raw).parse()
        try:
            event = json.loads(self._get_param("Event") or "")
        except ValueError:
            event = None
        if not isinstance(event, dict) or any(key not in event for key in envelope):
            raise JsonRESTError("ValidationException", "Parameter Event is not valid.")
        return json.dumps({"Result": EventPattern(raw, pattern).matches_event(event)})

    responses.EventsHandler.test_event_pattern = test_event_pattern


def _fix_service_without_security_groups(ecs) -> None:
    # AWS accepts awsvpcConfiguration without securityGroups (the VPC's default group is used);
    # moto raises KeyError -> HTML 500. Validate only what was given.
    original = ecs.Service._validate_network

    @functools.wraps(original)
    def validate(self, nc):
        conf = nc.get("awsvpcConfiguration", {})
        if "securityGroups" not in conf:
            patched = {**nc, "awsvpcConfiguration": {**conf, "securityGroups": []}}
            original(self, patched)
            return nc
        return original(self, nc)

    ecs.Service._validate_network = validate


def _fix_create_task_set(backend) -> None:
    # moto starts tasks for a task set with run_task, which needs container-level memory and
    # fails (HTML 500) for a Fargate task definition that sets memory only at task level, as
    # the tutorial's does. AWS does not require it. The sandbox runs no tasks: create the task
    # set without starting any, and report its tasks as running (computedDesiredCount etc.).
    def create_task_set(self, service, cluster_str, task_definition, *args, **kwargs):
        scale = kwargs.pop("scale", None)
        task_set = _original_create_task_set(self, service, cluster_str, task_definition, *args, **kwargs)
        task_set.scale = scale or {"value": 100.0, "unit": "PERCENT"}
        _set_counts(self, task_set)
        return task_set

    _original_create_task_set = backend.create_task_set
    backend.create_task_set = create_task_set


def _set_counts(backend, task_set) -> None:
    service_name = task_set.service.split("/")[-1]
    cluster_name = task_set.cluster.split("/")[-1]
    service = backend.services.get(f"{cluster_name}:{service_name}")
    desired = service.desired_count if service else 0
    if task_set.scale.get("unit") == "PERCENT":  # "The result is always rounded up" (TaskSet.computedDesiredCount)
        desired = math.ceil(desired * float(task_set.scale.get("value", 100)) / 100)
    task_set.computed_desired_count = desired
    task_set.running_count = desired
    task_set.pending_count = 0


def _fix_code_deploy_service_initial_task_set(backend) -> None:
    # AWS creates the first (PRIMARY) task set when a service with the CODE_DEPLOY deployment
    # controller is created; moto creates none, so there would be no original task set to
    # deploy from.
    original = backend.create_service

    @functools.wraps(original)
    def create_service(self, cluster_str, service_name, desired_count, task_definition_str=None, *args, **kwargs):
        service = original(self, cluster_str, service_name, desired_count, task_definition_str, *args, **kwargs)
        if service.deployment_controller.get("type") == "CODE_DEPLOY" and task_definition_str:
            task_set = backend.create_task_set(
                self,
                service_name,
                cluster_str,
                task_definition_str,
                network_configuration=service.network_configuration or None,
                load_balancers=service.load_balancers,
                launch_type=service.launch_type,
                platform_version=service.platform_version,
            )
            task_set.status = "PRIMARY"
            service.running_count = service.desired_count
            service.pending_count = 0
        return service

    backend.create_service = create_service


def _fix_update_service_scales_task_sets(backend) -> None:
    # A task set's computedDesiredCount is "calculated by multiplying the service's desiredCount by the task set's
    # scale percentage" (botocore's ECS model, TaskSet); moto leaves the task sets as they were when UpdateService
    # changes a CODE_DEPLOY or EXTERNAL service's desired count, so a service scaled to 0 kept serving.
    original = backend.update_service

    @functools.wraps(original)
    def update_service(self, service_properties):
        scaled = service_properties.get("desired_count") is not None
        service = original(self, service_properties)
        if scaled:
            for task_set in service.task_sets:
                _set_counts(self, task_set)
        return service

    backend.update_service = update_service


def _speed_up_iam_managed_policies() -> None:
    # Not a bug but a cost: with MOTO_IAM_LOAD_MANAGED_POLICIES moto parses ~1,600 AWS managed
    # policies every time an IAM backend is created, i.e. after every reset (~0.25 s each,
    # twice per reset). Parse them once per account/region and hand out fresh shallow copies.
    from moto.iam import models as iam

    original = iam.IAMBackend._init_aws_policies
    cache: dict[tuple[str, str], list] = {}

    @functools.wraps(original)
    def init_aws_policies(self):
        key = (self.account_id, self.region_name)
        if key not in cache:
            cache[key] = original(self)
        policies = []
        for pristine in cache[key]:
            policy = copy.copy(pristine)
            policy.attachment_count = 0
            policy.tags = dict(pristine.tags)
            policies.append(policy)
        return policies

    iam.IAMBackend._init_aws_policies = init_aws_policies


def _fix_ecr_retag_keeps_old_image() -> None:
    # Pushing a new image under a tag another image holds deletes that other image in moto; AWS
    # only moves the tag and keeps the old image (untagged), so it can still be found and deployed
    # by digest. On a mutable repository, untag the old image first; moto then has nothing to delete.
    # Pushing to a missing repository raises a bare Exception in moto (HTML 500); AWS answers
    # RepositoryNotFoundException.
    from moto.ecr import models as ecr
    from moto.ecr.exceptions import RepositoryNotFoundException

    original = ecr.ECRBackend.put_image

    @functools.wraps(original)
    def put_image(self, repository_name, image_manifest, image_tag, *args, **kwargs):
        repository = self.repositories.get(repository_name)
        if repository is None:
            raise RepositoryNotFoundException(repository_name, self.account_id)
        if image_tag and repository.image_tag_mutability == "MUTABLE":
            for image in repository.images:
                if image.image_manifest != image_manifest and image_tag in image.image_tags:
                    image.image_tags.remove(image_tag)
                    image.image_tag = image.image_tags[-1] if image.image_tags else None
        return original(self, repository_name, image_manifest, image_tag, *args, **kwargs)

    ecr.ECRBackend.put_image = put_image


def set_image_pushed_at(account, repository_name, digest, when) -> None:
    # moto stamps imagePushedAt with the wall clock; the emulated services follow the sandbox clock,
    # which may run faster or be moved by hand. Stamp the push with sandbox time so that the push
    # and the pipeline execution it starts read in the right order.
    from moto.ecr.models import ecr_backends

    for backend in ecr_backends[account].values():
        repository = backend.repositories.get(repository_name)
        for image in repository.images if repository else ():
            if image.get_image_digest() == digest:
                image.image_pushed_at = int(when.timestamp())
