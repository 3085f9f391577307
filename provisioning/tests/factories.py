from provisioning import forms
from provisioning.models import Setup, StepRun

ACCOUNT = "123456789012"


def make_setup(name="shop", *, config=None, **outputs):
    """A setup with the tutorial's values, as if its connect step had succeeded."""
    setup = Setup.objects.create(
        name=name,
        region="us-east-1",
        config={**forms.defaults(name, ACCOUNT), **(config or {})},
        outputs={"account": ACCOUNT, "identity_arn": f"arn:aws:iam::{ACCOUNT}:user/ada", **outputs},
    )
    run = StepRun.objects.create(setup=setup, step="connect", status=StepRun.SUCCEEDED)
    return setup, run
