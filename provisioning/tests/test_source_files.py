import io
import json
import zipfile

from provisioning import source_files
from provisioning.tests.checks import APPSPEC, TASKDEF_TEMPLATE
from provisioning.web import forms

ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"


def test_the_files_have_the_tutorial_s_exact_shape_with_the_placeholders():
    files = source_files.source_files({**forms.defaults("ecs-demo"), "family": "ecs-demo"}, ROLE)
    assert json.loads(files["taskdef.json"]) == {**TASKDEF_TEMPLATE, "family": "ecs-demo"}
    assert list(json.loads(files["taskdef.json"])) == [
        "executionRoleArn",
        "containerDefinitions",
        "requiresCompatibilities",
        "networkMode",
        "cpu",
        "memory",
        "family",
    ]
    assert files["appspec.yaml"] == APPSPEC


def test_the_files_follow_the_container_name_and_port():
    files = source_files.source_files({**forms.defaults("shop"), "container_name": "web", "container_port": 8000}, ROLE)
    container = json.loads(files["taskdef.json"])["containerDefinitions"][0]
    assert container["portMappings"] == [{"hostPort": 8000, "protocol": "tcp", "containerPort": 8000}]
    assert 'ContainerName: "web"\n          ContainerPort: 8000\n' in files["appspec.yaml"]


def test_the_source_zip_holds_both_files_and_is_the_same_for_the_same_files():
    files = source_files.source_files(forms.defaults("shop"), ROLE)
    data = source_files.source_zip(files)
    assert data == source_files.source_zip(dict(reversed(files.items())))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {name: archive.read(name).decode() for name in archive.namelist()} == files
