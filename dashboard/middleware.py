"""What every request of a signed-in user gets: its roles read once, and `Cache-Control: no-store, private` on the
response. Pages show the audit log, AWS account details and who did what; no browser or proxy cache should keep
them after the user signs out."""

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.utils.cache import patch_cache_control


def roles_read_once(get_response):
    """The user's groups (their roles) read in one query per request: the role check, the view and the page's
    context each ask dashboard.roles.role_of, which would otherwise read them every time. Still every request, so
    a role taken away counts at once."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            prefetch_related_objects([user], "groups")
        return get_response(request)

    return middleware


def no_store_when_signed_in(get_response):
    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware
