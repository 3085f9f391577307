"""The pipeline's source files, in the tutorial's exact shape: taskdef.json, appspec.yaml, and their zip for S3; or,
when ECS runs the blue/green deployments itself, the imagedefinitions.json that CodePipeline's ECS deploy action reads
(CodePipeline user guide, "imagedefinitions.json file for Amazon ECS standard deployment actions")."""

import hashlib
import io
import json
import zipfile

from releases.service_deployments import CODEDEPLOY, ECS

TASKDEF_FILE, APPSPEC_FILE, IMAGEDEFINITIONS_FILE = "taskdef.json", "appspec.yaml", "imagedefinitions.json"
IMAGE_PLACEHOLDER = "<IMAGE1_NAME>"
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"


def task_definition(config, *, image, execution_role_arn):
    """The task definition as registered with ECS (and, with the placeholder image, as kept in taskdef.json)."""
    return {
        "executionRoleArn": execution_role_arn,
        "containerDefinitions": [
            {
                "name": config["container_name"],
                "image": image,
                "essential": True,
                "portMappings": [
                    {"hostPort": config["container_port"], "protocol": "tcp", "containerPort": config["container_port"]}
                ],
            }
        ],
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(config["cpu"]),
        "memory": str(config["memory"]),
        "family": config["family"],
    }


def taskdef_json(config, execution_role_arn):
    document = task_definition(config, image=IMAGE_PLACEHOLDER, execution_role_arn=execution_role_arn)
    return json.dumps(document, indent=4) + "\n"


def appspec_yaml(config):
    return (
        "version: 0.0\n"
        "Resources:\n"
        "  - TargetService:\n"
        "      Type: AWS::ECS::Service\n"
        "      Properties:\n"
        f"        TaskDefinition: {TASK_DEFINITION_PLACEHOLDER}\n"
        "        LoadBalancerInfo:\n"
        f'          ContainerName: "{config["container_name"]}"\n'
        f"          ContainerPort: {config['container_port']}\n"
    )


def imagedefinitions_json(config, image):
    """The container and the image the ECS deploy action puts in the service's task definition: the tag, which ECS
    resolves to the image pushed last when the deployment starts."""
    return json.dumps([{"name": config["container_name"], "imageUri": image}], indent=4) + "\n"


def source_files(config, execution_role_arn, *, engine=CODEDEPLOY, image=""):
    if engine == ECS:
        return {IMAGEDEFINITIONS_FILE: imagedefinitions_json(config, image)}
    return {TASKDEF_FILE: taskdef_json(config, execution_role_arn), APPSPEC_FILE: appspec_yaml(config)}


def source_zip(files):
    """Both files at the root of a zip; fixed timestamps, so the same files always make the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def digest(data):
    return hashlib.sha256(data).hexdigest()


CONTENT_TYPES = {TASKDEF_FILE: "application/json", APPSPEC_FILE: "application/yaml", "source.zip": "application/zip"}
CONTENT_TYPES[IMAGEDEFINITIONS_FILE] = "application/json"


def for_setup(config, outputs, engine=CODEDEPLOY):
    """The files for a setup's values (as its forms show them), or None before its account is known."""
    if "account" not in outputs:
        return None
    role_arn = outputs.get("execution_role_arn") or f"arn:aws:iam::{outputs['account']}:role/{config['execution_role']}"
    repository = outputs.get("repository_uri") or config["ecr_repository"]
    return source_files(config, role_arn, engine=engine, image=f"{repository}:{config['image_tag']}")


def download(config, outputs, filename, engine=CODEDEPLOY):
    """(content, content type) of one source file or source.zip; None if there is no such file yet."""
    found = for_setup(config, outputs, engine)
    if found is None or filename not in {*found, "source.zip"}:
        return None
    content = source_zip(found) if filename == "source.zip" else found[filename]
    return content, CONTENT_TYPES[filename]
