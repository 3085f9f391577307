"""What every response to a signed-in user carries: `Cache-Control: no-store, private`. Pages show the audit log,
AWS account details and who did what; no browser or proxy cache should keep them after the user signs out."""

from django.conf import settings
from django.utils.cache import patch_cache_control


def no_store_when_signed_in(get_response):
    def middleware(request):
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            patch_cache_control(response, no_store=True, private=True)
        return response

    return middleware
