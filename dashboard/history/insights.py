"""Release insights, computed from the audit log alone: how often a target releases, how often that goes wrong,
how long an image takes to reach production traffic, and how long a failure takes to be put right.

The functions below take plain `Release` objects (see releases.py), so tests call them with hand-made data;
`report()` is the one that reads the database, streaming only the release events of the period.
"""

import bisect
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from dashboard.audit import AuditEvent

from .charts import stacked_bars
from .releases import (
    BAD,
    EVENT_FIELDS,
    FAILED,
    IN_PROGRESS,
    RELEASE_ACTIONS,
    ROLLED_BACK,
    SUCCEEDED,
    SUPERSEDED,
    join_releases,
)

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 30


def week_of(moment):
    """The Monday (a date, in the site's time zone) of the week a moment falls in."""
    day = timezone.localtime(moment).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def weeks_between(start, end):
    """Every week from the one holding `start` to the one holding `end`, as Mondays."""
    week, last = week_of(start), week_of(end)
    weeks = []
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def releases_per_week(releases, start, end):
    """[(monday, Counter of statuses)] for every week of the period, empty weeks included."""
    counts = {week: Counter() for week in weeks_between(start, end)}
    for release in releases:
        week = week_of(release.started_at)
        if week in counts:
            counts[week][release.status] += 1
    return list(counts.items())


def bad_share(releases):
    """(failed or rolled back, finished) — in-progress and superseded releases are neither good nor bad."""
    statuses = Counter(release.status for release in releases)
    bad = statuses[FAILED] + statuses[ROLLED_BACK]
    return bad, bad + statuses[SUCCEEDED]


def _median(durations):
    durations = list(durations)
    if not durations:
        return None
    return timedelta(seconds=statistics.median(d.total_seconds() for d in durations))


def lead_times(releases):
    return [r.lead_time for r in releases if r.lead_time is not None]


def median_lead_time(releases):
    """Median time from image push to production traffic on the new version."""
    return _median(lead_times(releases))


def recovery_times(releases):
    """For each failed or rolled-back release: the time until the next good release of the same scope had
    its traffic (failures never followed by a good release are left out: they are not recovered yet)."""
    by_scope = defaultdict(list)
    for release in releases:
        by_scope[release.scope].append(release)
    times = []
    for scoped in by_scope.values():
        good = sorted(r.good_at for r in scoped if r.good_at)
        for release in scoped:
            if release.status in BAD:
                index = bisect.bisect_right(good, release.failed_at)
                if index < len(good):
                    times.append(good[index] - release.failed_at)
    return times


def median_recovery_time(releases):
    return _median(recovery_times(releases))


@dataclass
class Summary:
    scope: str  # "" for every target together
    start: datetime
    end: datetime
    releases: list = field(repr=False)

    def __post_init__(self):
        self.statuses = Counter(r.status for r in self.releases)
        self.bad, self.finished = bad_share(self.releases)
        self.weekly = releases_per_week(self.releases, self.start, self.end)
        self.median_lead_time = median_lead_time(self.releases)
        self.recoveries = recovery_times(self.releases)
        self.median_recovery_time = _median(self.recoveries)

    @property
    def count(self):
        return len(self.releases)

    @property
    def bad_share(self):
        return self.bad / self.finished if self.finished else None

    @property
    def per_week(self):
        days = max((self.end - self.start).total_seconds() / 86400, 1)
        return self.count / (days / 7)

    def weekly_lead_times(self):
        """[(monday, median lead time or None, number of releases with one)] for the chart."""
        by_week = defaultdict(list)
        for release in self.releases:
            if release.lead_time is not None:
                by_week[week_of(release.started_at)].append(release.lead_time)
        return [(week, _median(by_week[week]), len(by_week[week])) for week, _ in self.weekly]


@dataclass
class Report:
    days: int
    start: datetime
    end: datetime
    scope: str
    overall: Summary
    per_scope: list  # Summary per scope with releases in the period


def load_releases(since, until=None, scope=None):
    """Releases that started in [since, until], from the release events of the period (streamed, oldest first)."""
    events = AuditEvent.objects.filter(created_at__gte=since, action__in=RELEASE_ACTIONS)
    if until is not None:
        events = events.filter(created_at__lte=until)
    if scope:
        events = events.filter(scope=scope)
    rows = events.order_by("created_at", "id").values(*EVENT_FIELDS).iterator(chunk_size=2000)
    return join_releases(rows)


def report(days=DEFAULT_PERIOD, scope="", now=None):
    end = now or timezone.now()
    start = end - timedelta(days=days)
    releases = load_releases(start, end, scope)
    per_scope = defaultdict(list)
    for release in releases:
        per_scope[release.scope].append(release)
    return Report(
        days=days,
        start=start,
        end=end,
        scope=scope,
        overall=Summary(scope, start, end, releases),
        per_scope=[Summary(name, start, end, scoped) for name, scoped in sorted(per_scope.items())],
    )


def humanize_duration(duration):
    """'42 s', '17 min', '3 h 5 min', '2 d 4 h'; '—' for none."""
    if duration is None:
        return "—"
    seconds = max(0, round(duration.total_seconds()))  # never negative, whatever the data
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


STATUS_SERIES = (
    (SUCCEEDED, "Succeeded"),
    (FAILED, "Failed"),
    (ROLLED_BACK, "Rolled back"),
    (SUPERSEDED, "Superseded"),
    (IN_PROGRESS, "In progress"),
)
DURATION_UNITS = ((3 * 3600, 60, "minutes"), (3 * 86400, 3600, "hours"), (None, 86400, "days"))


def releases_chart(summary):
    categories = [f"{week:%b %d}" for week, _ in summary.weekly]
    series = [
        (f"bar-{status}", label, [counts[status] for _, counts in summary.weekly])
        for status, label in STATUS_SERIES
        if summary.statuses[status] or status in (SUCCEEDED, FAILED, ROLLED_BACK)
    ]
    return stacked_bars("Releases per week", f"releases-{summary.scope or 'all'}", categories, series)


def lead_time_chart(summary):
    weekly = summary.weekly_lead_times()
    longest = max((lead.total_seconds() for _, lead, _ in weekly if lead), default=0)
    per, unit = next((per, unit) for limit, per, unit in DURATION_UNITS if limit is None or longest < limit)
    values = [round(lead.total_seconds() / per, 1) if lead else None for _, lead, _ in weekly]
    chart = stacked_bars(
        f"Median time from image push to traffic, per week ({unit})",
        f"lead-{summary.scope or 'all'}",
        [f"{week:%b %d}" for week, _, _ in weekly],
        [("bar-lead", f"Median ({unit})", values)],
        format_value=lambda v: f"{v:g}",
    )
    chart.table_head.append("Releases with traffic")
    for row, (_, _, count) in zip(chart.table_rows, weekly, strict=True):
        row.append(str(count))
    return chart
