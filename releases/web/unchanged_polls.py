"""A console's poll answered in one database read, before the rest of the middleware.

Every open console asks every second or two whether its target moved; in an incident that is most of the web tier's
work. The answer is either "nothing changed" (204) or the fragment every viewer of the same role shares
(fragment_cache), so the full stack's reads of the session, the user, the user's groups and the target are more
than it needs. Here one query reads the target's version together with what the sign-in and role checks need, and
the same checks run as in django.contrib.auth and dashboard.roles: a session naming an allowed backend, an active
user whose password still matches the session's hash, and a role. While one request draws a new version, the
others get the version before it (fragment_cache.drawn_before) rather than wait. Anything else (no or stale
session, no role, a missing target, a fragment not drawn yet, a 304 asked by ETag, no CSRF cookie where a form needs
the token) goes on through the whole stack, which answers it as before.
"""

import re
from datetime import UTC
from functools import cache
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import constant_time_compare

from dashboard.roles import ADMIN, ROLES
from releases.models import ReleaseTarget
from releases.web import fragment_cache

LIVE_VIEW = "release-target-live"
QUERY_FIELDS = {"v", "release"}
CSRF_SECRET = re.compile(r"[A-Za-z0-9]{32}")  # what Django keeps in the CSRF cookie


def answered_console_polls(get_response):
    sessions = import_module(settings.SESSION_ENGINE).SessionStore

    def middleware(request):
        target_pk = _live_poll_of(request)
        found = _signed_in_poll(request, sessions, target_pk) if target_pk is not None else None
        response = _answer(request, target_pk, *found) if found else None
        return response or get_response(request)

    return middleware


def _live_poll_of(request):
    """The target's pk when this is a console's poll that names a version, else None."""
    if request.method != "GET" or not request.GET.get("v") or not set(request.GET) <= QUERY_FIELDS:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    return match.kwargs.get("pk") if match.url_name == LIVE_VIEW else None


def _signed_in_poll(request, sessions, target_pk):
    """(role, target version, target created_at) for a signed-in user with a role, else None."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    session = sessions(session_key)
    user_id, backend, session_hash = (session.get(k) for k in (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY))
    if user_id is None or backend not in settings.AUTHENTICATION_BACKENDS or not session_hash:
        return None
    user_model = get_user_model()
    with connection.cursor() as cursor:
        cursor.execute(_query(), [target_pk, user_model._meta.pk.to_python(user_id)])
        row = cursor.fetchone()
    if row is None:
        return None
    password, is_superuser, rank, version, created_at = row
    if not constant_time_compare(session_hash, user_model(password=password).get_session_auth_hash()):
        return None
    role = ADMIN if is_superuser else (ROLES[rank - 1] if rank else None)
    if role is None or version is None:
        return None
    return role, version, created_at if timezone.is_aware(created_at) else created_at.replace(tzinfo=UTC)


def _answer(request, target_pk, role, version, created_at):
    if request.GET["v"] == str(version):
        return _private(HttpResponse(status=204))
    if "If-None-Match" in request.headers:
        return None
    release = request.GET.get("release")
    key = fragment_cache.console_key(target_pk, created_at, version, role, release)
    entry = fragment_cache.shared_live(key)
    if entry is None and (before := fragment_cache.drawn_before(target_pk, created_at, version, role, release)):
        version, key, entry = before
        if request.GET["v"] == str(version):
            return _private(HttpResponse(status=204))
    markup = entry and fragment_cache.personalised(entry, lambda: _csrf_token(request))
    if not markup:
        return None
    response = _private(HttpResponse(markup))
    response["ETag"] = fragment_cache.etag_of(key)
    return response


def _csrf_token(request):
    """The viewer's token for the forms, from the cookie the full stack set, or None without one."""
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if settings.CSRF_USE_SESSIONS or not CSRF_SECRET.fullmatch(secret):
        return None
    request.META["CSRF_COOKIE"] = secret  # as CsrfViewMiddleware.process_request leaves it for get_token
    return get_token(request)


def _private(response):
    patch_cache_control(response, no_store=True, private=True)
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    return response


@cache
def _query():
    """The user's password hash, superuser flag and highest role (1 viewer, 2 operator, 3 admin; NULL for none), and
    the target's version and creation time: one row for an active user, none otherwise. Plain SQL, made once from
    the models' names and our own constants: the ORM takes five times as long to build it on every poll."""
    q = connection.ops.quote_name
    user_model = get_user_model()
    user, group, target = user_model._meta, Group._meta, ReleaseTarget._meta
    membership = user_model.groups.through._meta
    by_name = " ".join(f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(ROLES, 1))  # constants, not input
    password, superuser = q(user.get_field("password").column), q(user.get_field("is_superuser").column)
    return (  # names from the models, values passed as parameters
        f"SELECT u.{password}, u.{superuser}, "  # noqa: S608
        f"(SELECT MAX(CASE g.{q(group.get_field('name').column)} {by_name} ELSE NULL END) "
        f"FROM {q(membership.db_table)} m JOIN {q(group.db_table)} g "
        f"ON g.{q(group.pk.column)} = m.{q(membership.get_field('group').column)} "
        f"WHERE m.{q(membership.get_field('user').column)} = u.{q(user.pk.column)}), "
        f"t.{q(target.get_field('version').column)}, t.{q(target.get_field('created_at').column)} "
        f"FROM {q(user.db_table)} u LEFT JOIN {q(target.db_table)} t ON t.{q(target.pk.column)} = %s "
        f"WHERE u.{q(user.pk.column)} = %s AND u.{q(user.get_field('is_active').column)}"
    )
