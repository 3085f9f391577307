"""Bad input gets a message per field and loses nothing typed; an AWS error shows its code and message with a
Retry that, once the cause is gone, finishes the step without redoing what was done."""

import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from dashboard.audit import AuditEvent
from provisioning.models import Setup, StepRun
from provisioning.tests.factories import make_setup

INVALID = {
    "connect": {"region": ("US-East", "Not a region name"), "profile": ("my profile", "A profile name has")},
    "repository": {
        "ecr_repository": ("Shop_Images", "An ECR repository name has lowercase letters"),
        "image_tag": (".hidden", "An image tag has letters"),
    },
    "taskdef": {
        "family": ("shop web", "Use letters, digits, hyphens and underscores only"),
        "container_name": ("x" * 256, "Use 1 to 255 characters (this has 256)"),
        "container_port": ("70000", "less than or equal to 65535"),
        "memory": ("4096", "Fargate does not run 256 CPU units with 4096 MiB: choose 512, 1024, 2048 MiB."),
        "execution_role": ("ecs task role", "An IAM role name has letters"),
        "codecommit_repository": ("source.git", "not ending in .git"),
        "branch": ("feature..x", "Not a valid Git branch name"),
    },
    "loadbalancer": {
        "load_balancer": ("internal-shop", "starting with internal-"),
        "target_group_1": ("-tg", "not starting or ending with a hyphen"),
        "target_group_2": ("x" * 33, "Use 1 to 32 characters (this has 33)"),
        "production_port": ("0", "greater than or equal to 1"),
        "subnets": ("subnet-123, subnet-0a1b2c3d", "A subnet ID looks like subnet-0123456789abcdef0."),
        "security_group": ("default", "A security group ID looks like sg-0123abcd."),
    },
    "service": {"cluster": ("my cluster", "Use letters, digits"), "desired_count": ("0", "greater than or equal")},
    "codedeploy": {
        "application": ("app/1", "Use letters, digits, spaces"),
        "ready_wait_minutes": ("7201", "less than or equal to 7200"),
        "termination_wait_minutes": ("2881", "less than or equal to 2880"),
        "codedeploy_role": ("role*", "An IAM role name has letters"),
    },
    "pipeline": {
        "pipeline": ("my pipeline", "Use letters, digits and . @ _ - only."),
        "artifact_bucket": ("Shop_Artifacts", "A bucket name has lowercase letters"),
        "image_rule": ("rule@push", "Use letters, digits and . _ - only."),
    },
}


@pytest.mark.parametrize("step", sorted(INVALID))
def test_each_invalid_field_gets_its_own_message_and_keeps_what_was_typed(client, admin_user, step):
    setup, _ = make_setup("shop")
    for key in ("repository", "taskdef", "loadbalancer", "service", "codedeploy", "pipeline"):
        StepRun.objects.create(setup=setup, step=key, status=StepRun.SUCCEEDED)
    client.force_login(admin_user)
    page = client.get(reverse("setup-step", args=["shop", step]))
    data = {field.name: field.value() for field in page.context["form"] if field.value() not in (None, "", [])}
    data.update({name: value for name, (value, _) in INVALID[step].items()})

    response = client.post(reverse("setup-step", args=["shop", step]), data)

    assert response.status_code == 200
    assert set(response.context["form"].errors) == set(INVALID[step])
    html = response.content.decode()
    for name, (value, message) in INVALID[step].items():
        assert message in " ".join(response.context["form"].errors[name])
        assert f'id="error-{name}"' in html
        assert response.context["form"][name].value() == value  # shown again as typed
    assert not StepRun.objects.filter(setup=setup, step=step, status=StepRun.PENDING).exists()


def test_a_new_setup_refuses_a_taken_or_invalid_name(client, admin_user):
    make_setup("shop")
    client.force_login(admin_user)
    taken = client.post(reverse("setup-create"), {"name": "shop", "region": "us-east-1"})
    assert "There is a setup with this name already." in taken.context["form"].errors["name"]
    bad = client.post(reverse("setup-create"), {"name": "Shop-", "region": "us-east-1"})
    assert "Use lowercase letters, digits and single hyphens" in bad.context["form"].errors["name"][0]
    assert Setup.objects.count() == 1


def wait_until_finished(run, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run still {run.status} after {timeout} s")


def test_an_aws_error_shows_its_code_and_retry_finishes_the_step(client, admin_user, aws, sandbox, worker):
    call_command("provision", "shop", "--until", "loadbalancer", "--sample-image")
    sandbox.set_fault(kind="throttle", rate=1.0, service="ecs", operation="CreateService")
    client.force_login(admin_user)
    client.post(
        reverse("setup-step", args=["shop", "service"]),
        {"cluster": "shop-cluster", "service": "shop-service", "desired_count": 1},
    )
    run = wait_until_finished(StepRun.objects.get(step="service"))

    assert (run.status, run.error_code, run.error_message) == ("failed", "ThrottlingException", "Rate exceeded")
    page = client.get(reverse("setup-step", args=["shop", "service"])).content.decode()
    assert "<strong>ThrottlingException</strong>: Rate exceeded" in page
    assert "Retry</button>" in page
    assert run.action("cluster")["detail"] == "created"

    sandbox.clear_faults()
    client.post(reverse("setup-run-retry", args=[run.pk]))
    run = wait_until_finished(run)

    assert run.status == "succeeded"
    assert run.action("cluster")["detail"] == "created"  # done before the error, not done again
    assert [c["clusterName"] for c in aws.ecs.describe_clusters(clusters=["shop-cluster"])["clusters"]] == [
        "shop-cluster"
    ]
    assert sandbox.calls()["ecs"]["CreateCluster"] == 1
    outcomes = AuditEvent.objects.filter(action="setup.step", target_id=str(run.pk)).order_by("pk")
    assert [(e.outcome, e.actor_name) for e in outcomes] == [
        ("requested", admin_user.username),
        ("failed", admin_user.username),
        ("requested", admin_user.username),
        ("succeeded", admin_user.username),
    ]
    assert outcomes[1].error_code == "ThrottlingException"
    assert {r["type"] for r in outcomes[3].params["created"]} == {"ecs.cluster", "ecs.service"}
