"""AWS's clock and the dashboard's are two clocks: never subtract a time of one from a time of the other.

AWS stamps its times (createTime, lifecycle events, a wait's deadline) with its own clock, which differs from the
dashboard's by seconds (or, with a sandbox, by whatever it is set to). Durations are taken between two AWS times;
a deadline AWS gave is moved onto the dashboard's clock by the offset measured from the `Date` header of AWS's
answers before it is counted down.

The Date header has a resolution of one second, so each answer only bounds the offset: AWS's clock read `date`
(somewhere in [date, date + 1 s)) at some moment between sending the request and receiving the answer. The
offset is the middle of what all the answers of one refresh allow.
"""

import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

from dashboard import aws


class OffsetMeter:
    """Calls AWS like `aws.call`, through one connection (a target's), and narrows down `offset`: AWS's clock
    minus the dashboard's, in seconds."""

    def __init__(self, connection):
        self.connection = connection
        self.low, self.high = float("-inf"), float("inf")
        self.last = None  # the middle of the last answer's bounds, should the bounds contradict each other

    def call(self, service, operation, /, **params):
        sent = time.time()
        answer = aws.call(service, operation, self.connection, **params)
        self.observe(answer.date, sent, time.time())
        return answer

    def observe(self, date_header, sent, received):
        try:
            aws_seconds = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError):
            return
        low, high = aws_seconds - received, aws_seconds + 1 - sent
        self.low, self.high = max(self.low, low), min(self.high, high)
        self.last = (low + high) / 2

    @property
    def offset(self):
        """Seconds AWS's clock is ahead of ours (negative: behind); None when no answer carried a Date."""
        if self.last is None:
            return None
        if self.low > self.high:  # a clock stepped between two answers: trust the newest
            return self.last
        return (self.low + self.high) / 2


def on_dashboard_clock(aws_time, offset_seconds):
    """An AWS time as the dashboard's clock reads that moment."""
    if aws_time is None:
        return None
    return aws_time - timedelta(seconds=offset_seconds or 0)


def seconds_between(start, end):
    """A duration between two times of the same clock, never negative (AWS rounds its times)."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())
