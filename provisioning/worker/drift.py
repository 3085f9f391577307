"""Drift: what AWS has now that differs from what the setup says, for the fields the wizard owns.

The comparisons are the steps' own (the ones a re-run uses to bring a resource in line), run by a worker
with read calls only; the way to fix a drift is to re-run the step that owns the resource.
"""

from dashboard import aws
from provisioning.models import Resource
from provisioning.worker import ecs_blue_green, steps
from provisioning.worker.step_context import Change
from provisioning.worker.steps import codedeploy, pipeline, service

IN_LINE, DRIFTED, GONE, NOT_COMPARED = "in line", "drifted", "gone", "not compared"


class Reader:
    """The part of a step's context the comparisons read: the setup's values and read-only AWS calls."""

    def __init__(self, setup):
        self.setup, self.config, self.outputs, self.name = setup, setup.config, setup.outputs, setup.name

    def call(self, service_name, operation, /, **params):
        return aws.call(service_name, operation, self.setup.connection(), **params)

    def find(self, missing_codes, service_name, operation, /, **params):
        try:
            return self.call(service_name, operation, **params)
        except aws.AwsError as error:
            if error.code in missing_codes:
                return None
            raise


def deployment_group(reader, resource):
    app, name = resource.name.split("/", 1)
    found = reader.find(
        ("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"),
        "codedeploy",
        "get_deployment_group",
        applicationName=app,
        deploymentGroupName=name,
    )
    if found is None:
        return None
    wanted = codedeploy.settings(reader)
    return codedeploy.group_changes(found["deploymentGroupInfo"], wanted, f"deployment group {name}")


def ecs_service(reader, resource):
    cluster, name = resource.name.split("/", 1)
    found = reader.call("ecs", "describe_services", cluster=cluster, services=[name])["services"]
    live = [s for s in found if s["status"] == "ACTIVE"]
    return service.service_changes(reader, live[0], f"service {name}") if live else None


def listener(reader, resource):
    found = reader.find(("ListenerNotFound",), "elbv2", "describe_listeners", ListenerArns=[resource.arn])
    if not found or not found["Listeners"]:
        return None
    port = found["Listeners"][0]["Port"]
    for output, field in (("production", "production_port"), ("test", "test_port")):
        if reader.outputs.get(f"{output}_listener_arn") == resource.arn and port != reader.config[field]:
            return [Change(f"the {output} listener", "port", port, reader.config[field])]
    return []


def listener_rule(reader, resource):
    out = reader.outputs
    pair = (out.get("target_group_1_arn", ""), out.get("target_group_2_arn", ""))
    return ecs_blue_green.listener_rule_drift(reader, resource.arn, *pair, name=resource.name)


def pipeline_declaration(reader, resource):
    found = reader.find(("PipelineNotFoundException",), "codepipeline", "get_pipeline", name=resource.name)
    if found is None:
        return None
    thing = f"pipeline {resource.name}"
    return pipeline.declaration_changes(found["pipeline"], pipeline.structure(reader), thing)


# The kinds whose owned fields are compared; each answers the changes, or None when the resource is gone.
COMPARED = {
    "codedeploy.deployment-group": deployment_group,
    "ecs.service": ecs_service,
    "elbv2.listener": listener,
    "elbv2.listener-rule": listener_rule,
    "codepipeline.pipeline": pipeline_declaration,
}


def findings(setup):
    """One finding per resource in the inventory that is there (or should be)."""
    found = []
    for resource in setup.resources.exclude(state=Resource.DELETED):
        compare = COMPARED.get(resource.kind)
        entry = {"resource": resource.pk, "kind": resource.kind, "name": resource.name, "step": resource.step}
        entry["step_title"] = steps.get(resource.step).TITLE
        if compare is None:
            found.append({**entry, "state": NOT_COMPARED, "changes": []})
            continue
        changes = compare(Reader(setup), resource)
        if changes is None:
            found.append({**entry, "state": GONE, "changes": []})
        else:
            state = DRIFTED if changes else IN_LINE
            found.append({**entry, "state": state, "changes": [change.as_drift() for change in changes]})
    return found
