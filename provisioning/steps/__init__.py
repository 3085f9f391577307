"""The wizard's steps, in the tutorial's order. Each module has KEY, TITLE, plan(setup) and run(ctx)."""

from . import codedeploy, connect, loadbalancer, pipeline, repository, service, taskdef, teardown, verify

STEPS = [connect, repository, taskdef, loadbalancer, service, codedeploy, pipeline, verify]
KEYS = [step.KEY for step in STEPS]


def get(key):
    return teardown if key == teardown.KEY else STEPS[KEYS.index(key)]
