"""Calls per minute per token, counted in the cache in fixed one-minute windows (an atomic increment each call)."""

import time

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

WINDOW = 60
clock = time.time


class PerTokenThrottle(BaseThrottle):
    def allow_request(self, request):
        token = getattr(request, "auth", None)
        if token is None:
            return True
        now = clock()
        window = int(now // WINDOW)
        self.wait_seconds = (window + 1) * WINDOW - now
        key = f"api-rate:{token.key_hash[:24]}:{window}"  # not the pk: ids come again after a test database
        cache.add(key, 0, timeout=WINDOW * 2)
        try:
            calls = cache.incr(key)
        except ValueError:  # evicted between add and incr: this call starts the count again
            cache.set(key, calls := 1, timeout=WINDOW * 2)
        return calls <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self):
        return self.wait_seconds
