"""The wizard's steps, in the tutorial's order. Each module has KEY, TITLE,
HELP (the text its page shows), OUTPUTS (the keys of Setup.outputs it may write), plan(setup) and run(ctx)."""

from provisioning.models import StepRun
from provisioning.worker.steps import (
    codedeploy,
    connect,
    loadbalancer,
    pipeline,
    repository,
    service,
    taskdef,
    teardown,
    verify,
)

STEPS = [connect, repository, taskdef, loadbalancer, service, codedeploy, pipeline, verify]
KEYS = [step.KEY for step in STEPS]
if tuple(KEYS) != StepRun.STEP_KEYS:
    raise ImportError(f"The steps {KEYS} are not StepRun.STEP_KEYS {StepRun.STEP_KEYS}.")


def _owners_of_outputs():
    owners = {}
    for step in [*STEPS, teardown]:
        for output in step.OUTPUTS:
            if output in owners:
                raise ImportError(f"Output {output!r} is declared by both {owners[output]} and {step.KEY}.")
            owners[output] = step.KEY
    return owners


OWNER_OF_OUTPUT = _owners_of_outputs()  # output key → the key of the one step that writes it


def get(key):
    return teardown if key == teardown.KEY else STEPS[KEYS.index(key)]
