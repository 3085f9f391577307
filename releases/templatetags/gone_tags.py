"""`{% gone_from_aws setup %}`: on the setup wizard's pages, the gone-from-AWS card of the pipeline it made."""

from django import template

from dashboard.models import same_connection
from releases.models import ReleaseTarget

register = template.Library()


@register.inclusion_tag("releases/gone.html", takes_context=True)
def gone_from_aws(context, setup):
    pipeline = (setup.config or {}).get("pipeline")
    gone = ReleaseTarget.objects.filter(
        pipeline_name=pipeline, gone_since__isnull=False, **same_connection(setup.connection())
    )
    target = gone.first() if pipeline else None
    return {"target": target, "is_admin": context.get("is_admin"), "csrf_token": context.get("csrf_token")}
