import pytest
from django.core.exceptions import ValidationError

from provisioning import names


@pytest.mark.parametrize(
    ("cpu", "memory"), [(256, 512), (256, 2048), (512, 4096), (1024, 8192), (4096, 30720), (16384, 122880)]
)
def test_fargate_sizes_aws_accepts_pass(cpu, memory):
    names.validate_fargate_size(cpu, memory)


@pytest.mark.parametrize(
    ("cpu", "memory", "message"),
    [
        (256, 4096, "choose 512, 1024, 2048 MiB"),
        (1024, 1024, "choose 2048–8192 MiB in steps of 1024"),
        (8192, 18000, "choose 16384–61440 MiB in steps of 4096"),
        (300, 512, "Fargate accepts CPU units 256, 512"),
    ],
)
def test_fargate_sizes_aws_refuses_say_what_it_accepts(cpu, memory, message):
    with pytest.raises(ValidationError, match=message):
        names.validate_fargate_size(cpu, memory)


@pytest.mark.parametrize("name", ["shop", "a1", "blue-green-2", "x" * 27])
def test_setup_names_that_fit_every_resource_name(name):
    names.validate_setup_name(name)


@pytest.mark.parametrize("name", ["Shop", "1shop", "shop-", "sh--op", "x" * 28, "s", "shop_web"])
def test_setup_names_that_would_break_a_resource_name(name):
    with pytest.raises(ValidationError):
        names.validate_setup_name(name)


def test_every_suggested_name_of_the_longest_setup_name_is_valid():
    suggested = names.suggested("x" * 27, "123456789012")
    for key in ("load_balancer", "target_group_1", "target_group_2"):
        names.validate_elb_name(suggested[key])
    for key in ("source_bucket", "artifact_bucket"):
        names.validate_s3_bucket(suggested[key])
    names.validate_ecr_repository(suggested["ecr_repository"])
    for key in ("codedeploy_role", "pipeline_role", "events_role"):
        names.validate_iam_role(suggested[key])


@pytest.mark.parametrize("bucket", ["my..bucket", "192.168.1.1", "xn--shop", "shop-s3alias", "a.-b", "Shop"])
def test_bucket_names_s3_refuses(bucket):
    with pytest.raises(ValidationError):
        names.validate_s3_bucket(bucket)
