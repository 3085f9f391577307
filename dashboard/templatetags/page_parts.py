from django import template
from django.utils.safestring import mark_safe

from .. import extensions

register = template.Library()


@register.simple_tag(takes_context=True)
def page_parts(context, slot):
    """What the installed optional apps add at `slot` (see dashboard/extensions.py), rendered with this page's
    context (what a part sets stays in it); nothing when none adds anything there."""
    engine, rendered = context.template.engine, []
    for name in extensions.page_parts(slot):
        with context.push():
            rendered.append(engine.get_template(name).render(context))
    return mark_safe("".join(rendered))  # noqa: S308 - templates, escaped as they rendered
