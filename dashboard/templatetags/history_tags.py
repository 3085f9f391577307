"""Template filters for the history pages."""

import json

from django import template

from dashboard.history.insights import humanize_duration

register = template.Library()


@register.filter
def pretty_json(value):
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@register.filter
def duration(value):
    return humanize_duration(value)


@register.filter
def percent(value):
    return "—" if value is None else f"{value:.0%}"
