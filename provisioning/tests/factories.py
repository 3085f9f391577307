from provisioning.models import Setup, StepRun
from provisioning.web import forms
from provisioning.worker.steps import OWNER_OF_OUTPUT

ACCOUNT = "123456789012"


def make_setup(name="shop", *, config=None, **outputs):
    """A setup with the tutorial's values, as if its connect step had succeeded (and the steps owning `outputs`)."""
    by_step = {}
    for key, value in {"account": ACCOUNT, "identity_arn": f"arn:aws:iam::{ACCOUNT}:user/ada", **outputs}.items():
        by_step.setdefault(OWNER_OF_OUTPUT[key], {})[key] = value
    setup = Setup.objects.create(
        name=name, region="us-east-1", config={**forms.defaults(name, ACCOUNT), **(config or {})}, step_outputs=by_step
    )
    run = StepRun.objects.create(setup=setup, step="connect", status=StepRun.SUCCEEDED)
    return setup, run
