"""The console and the overview's table rendered once per change, not once per viewer.

A target's console is kept in Django's cache under the target, its version (every change the console shows bumps
it) and what else changes the markup: the viewer's role and the release asked for. Every viewer of that role gets
the same markup until the version moves; a new version is a new key, so nothing needs deleting (old keys expire).

Both levels are rendered without the request, so nothing of one viewer can get into another's copy: no name, no
messages (the templates cannot reach them). The console itself (#console) is one level. The polled fragment
around it (#live: freezes, four-eyes requests, the gone-from-AWS section, the refresh status line) is the other,
shared too: its forms are drawn with a random mark where the CSRF token goes and its clock with another, and each
answer puts in the viewer's own token and the time now. What in #live changes with time and no version bump (a
freeze or a four-eyes request running out, "current 5 min ago") sets when the shared copy stops being used.
Sign-in and the role check still run on every request (the views' decorators, or unchanged_polls' same checks).
"""

import hashlib
import logging
import secrets
import time
from datetime import timedelta

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.safestring import mark_safe

from dashboard.roles import role_context
from releases.models import WEEKDAYS, Freeze
from releases.web import display, four_eyes

log = logging.getLogger(__name__)

KEPT_SECONDS = 600  # a version nobody asks for any more, or the markup of the code before a deploy, goes after this
RENDER_SECONDS = 2.0  # how long the others wait for the one request rendering a new version


def _digest(text):
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


class Console:
    """The console of `target` as the request's viewer sees it: its cache key, ETag and context."""

    def __init__(self, request, target, release=""):
        self.target, self.release = target, release or None
        self.roles = role_context(request)  # can_operate, is_admin: what the role changes in the markup
        self.key = console_key(target.pk, target.created_at, target.version, self.roles.get("user_role"), release)
        self.etag = etag_of(self.key)

    def not_modified(self, request):
        """A 304 when the request's If-None-Match names this version of the console, else None."""
        return get_conditional_response(request, etag=self.etag)

    def context(self):
        return {
            "target": self.target,
            "shown_release": self.release,
            "poll_every": display.poll_every(self.target),
            "console_markup": _cached(self.key, self._render),
            # Per request, not in the shared markup: a freeze ends at its time without a version bump.
            "freeze": Freeze.in_force(self.target),
            "scheduled_freezes": Freeze.scheduled(self.target),
            "weekday_choices": list(enumerate(WEEKDAYS)),
            # Per request too: a request expires with time, and its answer forms carry the viewer's CSRF token.
            "four_eyes_requests": four_eyes.recent(self.target),
            "four_eyes_choices": four_eyes.choices(self.target),
        }

    def live(self, request):
        """The #live fragment for this request: the copy every viewer of its role shares until the version moves
        or something in it changes with time, with this request's CSRF token and the dashboard's clock put in."""
        entry = _cached(f"{self.key}:live", self._render_live, usable=_fresh)
        newest = newest_key(self.target.pk, self.target.created_at, self.roles.get("user_role"), self.release)
        _set(newest, self.target.version)
        return personalised(entry, lambda: get_token(request))

    def _render(self):
        console = display.console(self.target, self.release, user_can_operate=self.roles.get("can_operate", False))
        return render_to_string("releases/target.html#console", {**console, **self.roles})

    def _render_live(self):
        csrf_mark, clock_mark = secrets.token_hex(16), secrets.token_hex(16)
        context = {**self.context(), **self.roles, "csrf_token": csrf_mark, "clock_mark": clock_mark}
        markup = render_to_string("releases/target.html#live", context)
        return {
            "markup": markup,
            "csrf_mark": csrf_mark if csrf_mark in markup else None,
            "clock_mark": clock_mark,
            "until": _changes_with_time_at(context),
        }


def console_key(target_pk, created_at, version, role, release):
    return f"releases:console:{_row(target_pk, created_at)}:{version}:{role}:{_digest(release or '')}"


def newest_key(target_pk, created_at, role, release):
    """Where the version of the newest #live drawn for this role and release is kept."""
    return f"releases:console-newest:{_row(target_pk, created_at)}:{role}:{_digest(release or '')}"


def _row(target_pk, created_at):
    # The target's row (pk and creation time), not its number alone: a restored database, or the tests'
    # databases side by side, can give another target the same pk and version.
    return f"{target_pk}:{created_at.timestamp():.6f}"


def etag_of(key):
    return f'W/"{_digest(key)}"'  # weak: the clock drawn around the markup differs per answer


def shared_live(key):
    """The shared #live fragment under `key` (console_key) when one is there and still true, else None."""
    entry = _get(f"{key}:live")
    return entry if entry is not None and _fresh(entry) else None


def drawn_before(target_pk, created_at, version, role, release):
    """While one request draws `version`'s #live, the newest one drawn before it as (its version, its key,
    its entry), so that the other viewers need not wait for the drawing (they get the new one at their next poll);
    None when nobody is drawing it or there is none."""
    key = console_key(target_pk, created_at, version, role, release)
    try:
        found = cache.get_many([f"{key}:live:rendering", newest_key(target_pk, created_at, role, release)])
    except Exception:
        return None
    newest = found.get(newest_key(target_pk, created_at, role, release))
    if f"{key}:live:rendering" not in found or newest is None or newest >= version:
        return None
    newest_console = console_key(target_pk, created_at, newest, role, release)
    entry = shared_live(newest_console)
    return (newest, newest_console, entry) if entry else None


def personalised(entry, csrf_token):
    """The shared fragment with the viewer's CSRF token (`csrf_token()`, called only when the fragment has a form)
    and the dashboard's clock now; None when a form needs a token and there is none."""
    markup = entry["markup"].replace(entry["clock_mark"], str(int(time.time() * 1000)))
    if entry["csrf_mark"]:
        token = csrf_token()
        if not token:
            return None
        markup = markup.replace(entry["csrf_mark"], token)
    return markup


def _changes_with_time_at(context):
    """When what #live shows would change with no version bump (a freeze or a four-eyes request running out, the
    "current 5 min ago" words), as a Unix time; None when nothing in it does."""
    now, target = timezone.now(), context["target"]
    times = [asked.expires_at for asked in context["four_eyes_requests"] if asked.shown_status == "pending"]
    times += [weekly.ends_at for weekly in context["scheduled_freezes"]]
    if context["freeze"]:
        times.append(context["freeze"].end_at(now))
    if context["scheduled_freezes"] or target.poll_error or target.gone_since:
        times.append(now.replace(second=0, microsecond=0) + timedelta(minutes=1))  # weekly windows start on a minute
    return min(times).timestamp() if times else None


def _fresh(entry):
    return entry["until"] is None or time.time() < entry["until"]


def summary_markup(etag):
    """The overview's table of targets for this etag (display.summary_etag), the same for every viewer."""
    return _cached(
        f"releases:summary:{etag}",
        lambda: render_to_string(
            "releases/summary.html#targets", {"groups": display.grouped_summaries(), "etag": etag}
        ),
    )


def _cached(key, render, usable=None):
    """What is under `key`, rendered by one request only: when many miss it at once (a new version, every viewer
    polling), the first renders and the others wait for its copy instead of rendering it too. Markup comes back
    safe; `usable` turns away a stale entry."""
    usable = usable or (lambda _value: True)
    value = _get(key)
    if value is not None and not usable(value):
        value = None
    if value is None and not _claim(key):
        value = _await(key, usable)
    if value is None:
        value = render()
        _set(key, value)
    return mark_safe(value) if isinstance(value, str) else value  # noqa: S308 - our own templates' output


def _claim(key):
    try:
        return cache.add(f"{key}:rendering", 1, RENDER_SECONDS)
    except Exception:
        return True  # no cache: each request renders its own, as without one


def _await(key, usable):
    deadline = time.monotonic() + RENDER_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.01)
        value = _get(key)
        if value is not None and usable(value):
            return value
    return None  # the renderer failed or is slow: render it here


def _get(key):
    try:
        return cache.get(key)
    except Exception:  # the cache is a shortcut: without it, every viewer's render is still right
        log.warning("the fragment cache did not answer for %s", key, exc_info=True)
        return None


def _set(key, markup):
    try:
        cache.set(key, markup, KEPT_SECONDS)
    except Exception:
        log.warning("the fragment cache did not keep %s", key, exc_info=True)
