"""Teardown: delete what the wizard created, newest first, one checklist line per resource."""

from django.db.models import Case, IntegerField, When

from provisioning.models import Resource, StepRun
from provisioning.worker import deleters
from provisioning.worker.step_context import Action

KEY, TITLE = StepRun.TEARDOWN, "Teardown"
HELP = "Deletes what the wizard created, newest first, one line per resource."
OUTPUTS = ()


def to_delete(setup):
    order = Case(*[When(step=key, then=i) for i, key in enumerate(StepRun.STEP_KEYS)], output_field=IntegerField())
    owned = setup.resources.filter(owned=True).exclude(state=Resource.DELETED)
    return owned.annotate(order=order).order_by("-order", "-pk")


def plan(setup):
    return [Action(f"resource-{r.pk}", f"Delete {r.kind} {r.name}") for r in to_delete(setup)]


def run(ctx):
    for action in list(ctx.run.actions):
        resource = Resource.objects.get(pk=int(action["key"].removeprefix("resource-")))
        ctx.do(action["key"], lambda resource=resource: remove(ctx, resource))


def remove(ctx, resource):
    sharing = (
        Resource.objects.filter(kind=resource.kind, name=resource.name, arn=resource.arn, state=Resource.PRESENT)
        .exclude(setup=ctx.setup)
        .values_list("setup__name", flat=True)
    )
    if sharing:
        Resource.objects.filter(pk=resource.pk).update(owned=False)
        return {"detail": f"kept: setup {', '.join(sharing)} uses it too"}
    detail = deleters.delete(ctx, resource)
    Resource.objects.filter(pk=resource.pk).update(state=Resource.DELETED)
    return {"detail": detail}
