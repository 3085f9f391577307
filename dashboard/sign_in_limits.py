"""Lock-out after repeated failed sign-ins (django-axes, configured in settings), as the product shows and keeps it.

Failures are counted per user name and source address together: one attacker cannot lock a user out from
everywhere, and a shared office address does not lock out everyone behind it.
"""

import math

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone

# Has a space, which Django's user name pattern refuses, so no real user can be confused with it.
UNKNOWN_USER = "unknown user"


def known_username(typed):
    """The typed user name if such a user exists, else UNKNOWN_USER: a password typed into the user-name box is
    never kept (in the audit log, in axes' attempts or in its log lines)."""
    typed = str(typed or "")
    User = get_user_model()
    if typed and User.objects.filter(**{User.USERNAME_FIELD: typed}).exists():
        return typed
    return UNKNOWN_USER


def attempt_username(request, credentials):
    """AXES_USERNAME_CALLABLE: the name failures are counted under."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    return known_username(typed)


def minutes_left(request, username):
    """Whole minutes until the lock-out of this user name and address ends (at least 1)."""
    last = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).aggregate(
        last=Max("attempt_time")
    )["last"]
    ends = (last or timezone.now()) + settings.AXES_COOLOFF_TIME
    return max(1, math.ceil((ends - timezone.now()).total_seconds() / 60))


def lockout_response(request, original_response, credentials):
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, saying for how long, with axes' status (429)."""
    username = attempt_username(request, credentials)
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {"form": form, "next": request.POST.get("next", ""), "locked_minutes": minutes_left(request, username)}
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
