from django import template
from django.conf import settings

from ..models import ImagePush, SandboxHealth

register = template.Library()


@register.simple_tag
def sandbox_endpoint():
    """The configured AWS endpoint (no query: the nav, on every page, shows the sandbox link by this alone)."""
    return settings.AWS_ENDPOINT_URL


@register.simple_tag
def sandbox_health():
    """The sandbox's health as a worker last saw it (one query: only the pages that show it ask)."""
    return SandboxHealth.current()


@register.simple_tag
def last_image_push(setup):
    return ImagePush.objects.filter(repository=setup.config.get("ecr_repository", "")).first()
