"""`manage.py provision` runs the same steps as the wizard in its own process; `teardown` undoes them."""

import pytest
from django.core.management import CommandError, call_command

from provisioning.models import Resource, Setup, StepRun
from provisioning.tests.checks import assert_nothing_left, assert_set_up_as_the_tutorial_says, provision_in_thread


def provision(sandbox, *args):
    """The command in a thread while this one moves the sandbox's clock through the deployment's waits."""
    provision_in_thread(sandbox, *args)


MUTATIONS = ("Create", "Put", "Register", "Attach", "Authorize", "Start", "Update", "Delete", "Tag", "Modify")


def mutations(before, after):
    return {
        f"{service}.{operation}": count - before.get(service, {}).get(operation, 0)
        for service, operations in after.items()
        for operation, count in operations.items()
        if operation.startswith(MUTATIONS) and count != before.get(service, {}).get(operation, 0)
    }


def test_provision_with_an_s3_source_sets_up_the_tutorial_and_teardown_removes_it(transactional_db, aws, sandbox):
    provision(sandbox, "kiosk", "--source", "s3", "--sample-image")

    assert_set_up_as_the_tutorial_says(aws, "kiosk", source="s3")
    setup = Setup.objects.get(name="kiosk")
    assert setup.runs.filter(status=StepRun.SUCCEEDED).count() == 8

    call_command("teardown", "kiosk", "--confirm", "kiosk")
    assert_nothing_left(aws, "kiosk", source="s3")
    assert not setup.resources.exclude(state=Resource.DELETED).filter(owned=True).exists()


def test_running_every_step_again_creates_nothing(transactional_db, aws, sandbox):
    provision(sandbox, "shop", "--verify-mode", "start", "--sample-image")
    inventory = list(Resource.objects.values_list("kind", "name", "arn", "owned", "state").order_by("pk"))
    calls = sandbox.calls()

    provision(sandbox, "shop", "--verify-mode", "start")

    assert mutations(calls, sandbox.calls()) == {}
    assert list(Resource.objects.values_list("kind", "name", "arn", "owned", "state").order_by("pk")) == inventory
    reruns = StepRun.objects.filter(setup__name="shop").order_by("pk")[8:]
    assert [run.status for run in reruns] == ["succeeded"] * 8
    assert all("created" not in action["detail"] for run in reruns for action in run.actions)


def test_provision_refuses_bad_options_before_making_anything(db):
    with pytest.raises(CommandError) as refused:
        call_command(
            "provision", "shop", "--memory", "4096", "--test-port", "80", "--source-bucket", "Shop", skip_checks=False
        )
    message = str(refused.value)
    assert "--memory: Fargate does not run 256 CPU units with 4096 MiB" in message
    assert "--test-port: The test listener needs a port of its own." in message
    assert "--source-bucket: A bucket name has lowercase letters" in message
    assert not Setup.objects.exists()


def test_provision_finishes_a_run_an_earlier_process_left_unfinished(transactional_db, aws, sandbox):
    from provisioning.web import forms, step_requests

    provision(sandbox, "cafe", "--until", "repository", "--sample-image")
    setup = Setup.objects.get(name="cafe")
    form = forms.FORMS["taskdef"]({**forms.initial(setup), "name": setup.name})
    assert form.is_valid(), form.errors
    values = {k: v for k, v in form.cleaned_data.items() if k != "name"}
    left = step_requests.start_step(setup, "taskdef", values, enqueue=False)  # queued, and nobody ran it

    provision(sandbox, "cafe", "--until", "taskdef")

    left.refresh_from_db()
    assert left.status == StepRun.SUCCEEDED
    assert setup.runs.filter(status__in=StepRun.ACTIVE).count() == 0
    assert aws.ecs.describe_task_definition(taskDefinition="cafe")["taskDefinition"]["revision"] == 1
