"""The console and the overview's table rendered once per change, not once per viewer.

A target's console is kept in Django's cache under the target, its version (every change the console shows bumps
it) and what else changes the markup: the viewer's role and the release asked for. Every viewer of that role gets
the same markup until the version moves; a new version is a new key, so nothing needs deleting (old keys expire).

The cached part is rendered without the request, so nothing of one viewer can get into another's copy: no CSRF
token, no name, no messages (the templates cannot reach them). What is per request or relative to now is drawn
around it on every request (templates/releases/target.html#live): the refresh status line ("current 5 min ago"),
the gone-from-AWS section with its untrack form, and the dashboard's clock the countdowns correct theirs by.
Sign-in and the role check still run on every request (the views' decorators); only the rendering is shared.
"""

import hashlib
import logging
import time

from django.core.cache import cache
from django.template.loader import render_to_string
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
        # The target's row (pk and creation time), not its number alone: a restored database, or the tests'
        # databases side by side, can give another target the same pk and version.
        row = f"{target.pk}:{target.created_at.timestamp():.6f}"
        self.key = f"releases:console:{row}:{target.version}:{self.roles.get('user_role')}:{_digest(release or '')}"
        self.etag = f'W/"{_digest(self.key)}"'  # weak: the clock drawn around the markup differs per answer

    def not_modified(self, request):
        """A 304 when the request's If-None-Match names this version of the console, else None."""
        return get_conditional_response(request, etag=self.etag)

    def context(self):
        return {
            "target": self.target,
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

    def _render(self):
        console = display.console(self.target, self.release, user_can_operate=self.roles.get("can_operate", False))
        return render_to_string("releases/target.html#console", {**console, **self.roles})


def summary_markup(etag):
    """The overview's table of targets for this etag (display.summary_etag), the same for every viewer."""
    return _cached(
        f"releases:summary:{etag}",
        lambda: render_to_string(
            "releases/summary.html#targets", {"groups": display.grouped_summaries(), "etag": etag}
        ),
    )


def _cached(key, render):
    """The markup under `key`, rendered by one request only: when many miss it at once (a new version, every viewer
    polling), the first renders and the others wait for its copy instead of rendering it too."""
    markup = _get(key)
    if markup is None and not _claim(key):
        markup = _await(key)
    if markup is None:
        markup = render()
        _set(key, markup)
    return mark_safe(markup)  # noqa: S308 - our own template's output, escaped as it was rendered


def _claim(key):
    try:
        return cache.add(f"{key}:rendering", 1, RENDER_SECONDS)
    except Exception:
        return True  # no cache: each request renders its own, as without one


def _await(key):
    deadline = time.monotonic() + RENDER_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.01)
        markup = _get(key)
        if markup is not None:
            return markup
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
