"""Sandbox time: real time multiplied by a speed factor, or a manual clock that only tests move."""

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import formatdate


class Clock:
    def __init__(self, speed: float = 1.0, manual: bool = False, start: datetime | None = None):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = float(speed)
        self.manual = manual
        self._lock = threading.Lock()
        self._base = (start or datetime.now(UTC)).replace(microsecond=0)
        self._base_real = time.monotonic()
        # AWS's clock is not the client's: a test sets this (the `clock_offset_seconds` setting) to put the
        # sandbox's clock, and the Date header of its answers, that many seconds ahead of (or behind) real time.
        self.offset_seconds = 0.0

    def now(self) -> datetime:
        with self._lock:
            offset = timedelta(seconds=self.offset_seconds)
            if self.manual:
                return self._base + offset
            elapsed = (time.monotonic() - self._base_real) * self.speed
            return self._base + timedelta(seconds=elapsed) + offset

    def set(self, moment: datetime) -> None:
        """Move a manual clock forward to `moment` (never backwards)."""
        with self._lock:
            if not self.manual:
                raise RuntimeError("only a manual clock can be set")
            self._base = max(self._base, moment - timedelta(seconds=self.offset_seconds))

    def http_date(self) -> str:
        """The Date header of an answer, as AWS sends it: this clock, to the second (RFC 7231)."""
        return formatdate(self.now().timestamp(), usegmt=True)

    def sleep_seconds(self, sandbox_seconds: float) -> float:
        """Real seconds that correspond to `sandbox_seconds` of sandbox time."""
        return sandbox_seconds / self.speed


class Ticker(threading.Thread):
    """Drives due transitions in real-time mode: calls `work()` every `interval` real seconds."""

    def __init__(self, work, interval: float = 0.05):
        super().__init__(name="sandbox-ticker", daemon=True)
        self._work = work
        self._interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            try:
                self._work()
            except Exception:  # noqa: BLE001 - the ticker must survive a failed step; it is logged
                import logging

                logging.getLogger("sandbox").exception("sandbox tick failed")

    def stop(self) -> None:
        self._stop_event.set()
