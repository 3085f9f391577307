"""Each step writes only the outputs its declaration lists, so two steps cannot overwrite each other's key."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from provisioning.models import Setup, UndeclaredOutput
from provisioning.tests.factories import make_setup
from provisioning.worker import steps
from provisioning.worker.steps import loadbalancer, service


def test_a_step_cannot_write_an_output_another_step_owns(db):
    setup, _ = make_setup("shop", vpc_id="vpc-1")
    with pytest.raises(UndeclaredOutput, match="vpc_id.*belongs to step loadbalancer"):
        setup.save_outputs(service.KEY, steps.OWNER_OF_OUTPUT, vpc_id="vpc-2")
    assert Setup.objects.get(pk=setup.pk).output("vpc_id") == "vpc-1"


def test_a_step_cannot_write_an_output_it_does_not_declare(db):
    setup, _ = make_setup("shop")
    with pytest.raises(UndeclaredOutput, match="no step declares it"):
        setup.save_outputs(loadbalancer.KEY, steps.OWNER_OF_OUTPUT, vpc_id="vpc-1", colour="blue")
    assert "vpc_id" not in Setup.objects.get(pk=setup.pk).outputs  # nothing of a refused write is kept


def test_a_step_s_outputs_are_kept_under_its_key_and_read_by_key(db):
    setup, _ = make_setup("shop")
    setup.save_outputs(loadbalancer.KEY, steps.OWNER_OF_OUTPUT, vpc_id="vpc-1", subnets=["subnet-a", "subnet-b"])
    stored = Setup.objects.get(pk=setup.pk)
    assert stored.step_outputs[loadbalancer.KEY] == {"vpc_id": "vpc-1", "subnets": ["subnet-a", "subnet-b"]}
    assert stored.outputs["vpc_id"] == "vpc-1" and stored.output("account") == "123456789012"


def test_every_output_has_one_owner_step():
    declared = [key for step in [*steps.STEPS, steps.teardown] for key in step.OUTPUTS]
    assert len(declared) == len(set(declared)) == len(steps.OWNER_OF_OUTPUT)


def test_the_migration_splits_existing_outputs_by_the_step_that_owns_them(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate([("provisioning", "0003_one_job_model")])
    old = executor.loader.project_state([("provisioning", "0003_one_job_model")]).apps.get_model(
        "provisioning", "Setup"
    )
    old.objects.create(name="shop", region="us-east-1", outputs={"account": "1", "vpc_id": "vpc-1", "gone": True})
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Setup.objects.get(name="shop").step_outputs == {
        "connect": {"account": "1"},
        "loadbalancer": {"vpc_id": "vpc-1"},
        "unowned": {"gone": True},
    }
