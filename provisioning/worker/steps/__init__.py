"""The wizard's steps, in the tutorial's order. Each module has KEY, TITLE,
HELP (the text its page shows), OUTPUTS (the keys of Setup.outputs it may write), plan(setup) and run(ctx).

A step that reads differently when ECS runs the blue/green deployments itself (Setup.engine) has ECS_TITLE or
ECS_HELP; one that only the CodeDeploy engine needs has ENGINES."""

from dataclasses import dataclass

from provisioning.models import Setup, StepRun
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


@dataclass(frozen=True)
class Shown:
    """A step as a setup's pages name it: its key, its title and help for the setup's engine."""

    KEY: str
    TITLE: str
    HELP: str


def for_setup(setup):
    """The steps the setup goes through, as its engine names them (ECS's own blue/green needs no CodeDeploy step)."""
    engines = tuple(engine for engine, _ in Setup.ENGINES)
    chosen = [step for step in STEPS if setup.engine in getattr(step, "ENGINES", engines)]
    return [shown(step, setup) for step in chosen]


def shown(step, setup):
    if setup.uses_ecs:
        return Shown(step.KEY, getattr(step, "ECS_TITLE", step.TITLE), getattr(step, "ECS_HELP", step.HELP))
    return Shown(step.KEY, step.TITLE, step.HELP)
