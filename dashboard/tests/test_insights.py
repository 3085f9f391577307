"""Release insights on a hand-made series whose answers are worked out below by hand."""

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from dashboard import events
from dashboard.history import insights
from dashboard.history.charts import nice_ceiling, stacked_bars
from dashboard.history.releases import join_releases
from dashboard.tests.history_fixtures import at, event

_ids = itertools.count(1)


def when(day, hhmm):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 3, day, hours, minutes, tzinfo=UTC)


def ev(action, day, hhmm, scope="shop", **params):
    return {
        "id": next(_ids),
        "created_at": when(day, hhmm),
        "actor_name": "system",
        "action": action,
        "scope": scope,
        "target_id": "",
        "outcome": "observed",
        "params": params,
        "follows_id": None,
    }


STARTED, CREATED, REROUTED = events.EXECUTION_STARTED, events.DEPLOYMENT_CREATED, events.TRAFFIC_REROUTED
DEPLOYED, FINISHED, ROLLED_BACK = events.DEPLOYMENT_FINISHED, events.EXECUTION_FINISHED, events.ROLLED_BACK


def series():
    """Ten releases over three weeks of March 2026 (Mondays: the 2nd, 9th and 16th), oldest first."""
    pushed = lambda day, hhmm: when(day, hhmm).isoformat()  # noqa: E731
    made = [
        # shop R1: pushed 09:00, traffic 09:30 → lead 30 min; succeeded.
        ev(STARTED, 2, "09:05", execution_id="R1", image_pushed_at=pushed(2, "09:00")),
        ev(CREATED, 2, "09:06", execution_id="R1", deployment_id="d-r1"),
        ev(REROUTED, 2, "09:30", deployment_id="d-r1"),
        ev(DEPLOYED, 2, "09:40", deployment_id="d-r1", status="Succeeded"),
        ev(FINISHED, 2, "09:41", execution_id="R1", status="Succeeded"),
        # shop R2: deployment failed at 10:20 (Tue) → failed.
        ev(STARTED, 3, "10:00", execution_id="R2"),
        ev(CREATED, 3, "10:01", execution_id="R2", deployment_id="d-r2"),
        ev(DEPLOYED, 3, "10:20", deployment_id="d-r2", status="Failed"),
        ev(FINISHED, 3, "10:21", execution_id="R2", status="Failed"),
        # api A1: stage failed 11:30 (Tue), execution failed 12:00 → failed at 11:30.
        ev(STARTED, 3, "11:00", "api", execution_id="A1"),
        ev(events.STAGE_FAILED, 3, "11:30", "api", execution_id="A1", stage="Build"),
        ev(FINISHED, 3, "12:00", "api", execution_id="A1", status="Failed"),
        # shop R3: pushed 11:00, traffic 12:00 (Wed) → lead 60 min; recovers R2 after 25 h 40 min.
        ev(STARTED, 4, "11:10", execution_id="R3", image_pushed_at=pushed(4, "11:00")),
        ev(CREATED, 4, "11:11", execution_id="R3", deployment_id="d-r3"),
        ev(REROUTED, 4, "12:00", deployment_id="d-r3"),
        ev(DEPLOYED, 4, "12:10", deployment_id="d-r3", status="Succeeded"),
        # api A3: first deployment fails, a retry's deployment succeeds → succeeded; traffic 09:40 (Thu),
        # lead 40 min from its start; recovers A1 after 46 h 10 min.
        ev(STARTED, 5, "09:00", "api", execution_id="A3"),
        ev(CREATED, 5, "09:01", "api", execution_id="A3", deployment_id="d-a3"),
        ev(DEPLOYED, 5, "09:10", "api", deployment_id="d-a3", status="Failed"),
        ev(CREATED, 5, "09:20", "api", execution_id="A3", deployment_id="d-a3b"),
        ev(REROUTED, 5, "09:40", "api", deployment_id="d-a3b"),
        ev(FINISHED, 5, "09:50", "api", execution_id="A3", status="Succeeded"),
        # shop R4: pushed 08:00, traffic 09:30 → lead 90 min; rolled back 09:45 (Tue 10th).
        ev(STARTED, 10, "09:00", execution_id="R4", image_pushed_at=pushed(10, "08:00")),
        ev(CREATED, 10, "09:01", execution_id="R4", deployment_id="d-r4"),
        ev(REROUTED, 10, "09:30", deployment_id="d-r4"),
        ev(ROLLED_BACK, 10, "09:45", deployment_id="d-r4", rollback_deployment_id="d-r4b"),
        ev(REROUTED, 10, "09:48", deployment_id="d-r4b"),  # traffic back on the old version: not a success
        ev(DEPLOYED, 10, "09:50", deployment_id="d-r4b", status="Succeeded"),
        # shop R5: no push time (its start counts), deployment succeeded 09:20 (Wed 11th) → lead 20 min;
        # recovers R4 after 23 h 35 min.
        ev(STARTED, 11, "09:00", execution_id="R5"),
        ev(CREATED, 11, "09:01", execution_id="R5", deployment_id="d-r5"),
        ev(DEPLOYED, 11, "09:20", deployment_id="d-r5", status="Succeeded"),
        ev(FINISHED, 11, "09:25", execution_id="R5", status="Succeeded"),
        # shop R6 superseded, R7 still running; api A2: pushed 08:50, traffic 09:00 → lead 10 min.
        ev(STARTED, 16, "09:00", execution_id="R6"),
        ev(FINISHED, 16, "09:10", execution_id="R6", status="Superseded"),
        ev(STARTED, 17, "09:00", execution_id="R7"),
        ev(CREATED, 17, "09:01", execution_id="R7", deployment_id="d-r7"),
        ev(STARTED, 18, "08:55", "api", execution_id="A2", image_pushed_at=pushed(18, "08:50")),
        ev(CREATED, 18, "08:56", "api", execution_id="A2", deployment_id="d-a2"),
        ev(REROUTED, 18, "09:00", "api", deployment_id="d-a2"),
        ev(DEPLOYED, 18, "09:05", "api", deployment_id="d-a2", status="Succeeded"),
    ]
    return sorted(made, key=lambda e: (e["created_at"], e["id"]))


START, END = when(1, "00:00"), when(20, "00:00")


@pytest.fixture
def releases():
    return join_releases(series())


def of(releases, scope):
    return [r for r in releases if r.scope == scope]


def minutes(n):
    return timedelta(minutes=n)


def test_each_release_gets_its_status(releases):
    assert {r.execution_id: r.status for r in releases} == {
        "R1": "succeeded",
        "R2": "failed",
        "A1": "failed",
        "R3": "succeeded",
        "A3": "succeeded",
        "R4": "rolled_back",
        "R5": "succeeded",
        "R6": "superseded",
        "R7": "in_progress",
        "A2": "succeeded",
    }


def test_releases_per_week_count_every_week_of_the_period_by_status(releases):
    weekly = insights.releases_per_week(releases, START, END)
    assert [week for week, _ in weekly] == [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
    assert [sum(counts.values()) for _, counts in weekly] == [0, 5, 2, 3]
    assert dict(weekly[1][1]) == {"succeeded": 3, "failed": 2}
    assert dict(weekly[2][1]) == {"rolled_back": 1, "succeeded": 1}
    assert [sum(c.values()) for _, c in insights.releases_per_week(of(releases, "shop"), START, END)] == [0, 3, 2, 2]


def test_the_share_failed_or_rolled_back_leaves_out_running_and_superseded_releases(releases):
    assert insights.bad_share(releases) == (3, 8)
    assert insights.bad_share(of(releases, "shop")) == (2, 5)
    assert insights.bad_share(of(releases, "api")) == (1, 3)


def test_median_time_from_image_push_to_traffic(releases):
    # overall: 10, 20, 30, 40, 60, 90 min; shop: 20, 30, 60, 90; api: 10, 40.
    assert insights.median_lead_time(releases) == minutes(35)
    assert insights.median_lead_time(of(releases, "shop")) == minutes(45)
    assert insights.median_lead_time(of(releases, "api")) == minutes(25)


def test_median_time_from_a_failed_release_to_the_next_good_one(releases):
    shop = sorted(insights.recovery_times(of(releases, "shop")))
    assert shop == [timedelta(hours=23, minutes=35), timedelta(hours=25, minutes=40)]
    assert insights.recovery_times(of(releases, "api")) == [timedelta(hours=46, minutes=10)]
    assert insights.median_recovery_time(of(releases, "shop")) == timedelta(hours=24, minutes=37, seconds=30)
    assert insights.median_recovery_time(releases) == timedelta(hours=25, minutes=40)


def test_a_failure_not_followed_by_a_good_release_is_not_recovered_yet():
    failed = join_releases(
        [
            ev(STARTED, 2, "09:00", execution_id="X1"),
            ev(FINISHED, 2, "09:10", execution_id="X1", status="Failed"),
            ev(STARTED, 2, "08:00", "other", execution_id="Y1"),  # good, but another target
            ev(FINISHED, 2, "10:00", "other", execution_id="Y1", status="Succeeded"),
        ]
    )
    assert insights.recovery_times(failed) == []
    assert insights.median_recovery_time(failed) is None


def test_a_summary_per_scope_and_overall(releases):
    overall = insights.Summary("", START, END, releases)
    assert (overall.count, overall.bad, overall.finished) == (10, 3, 8)
    assert overall.bad_share == pytest.approx(0.375)
    assert overall.per_week == pytest.approx(10 / (19 / 7))
    lead_weeks = [(week, lead, n) for week, lead, n in overall.weekly_lead_times()]
    assert lead_weeks[1] == (date(2026, 3, 2), minutes(40), 3)  # 30, 60, 40
    assert lead_weeks[2] == (date(2026, 3, 9), minutes(55), 2)  # 90, 20
    assert lead_weeks[0] == (date(2026, 2, 23), None, 0)


def test_the_report_reads_the_same_numbers_from_the_audit_log(db):
    for made in series():
        fields = {"target_id": made["target_id"], "params": made["params"], "scope": made["scope"]}
        event(made["action"], made["created_at"], **fields)
    report = insights.report(days=30, now=when(20, "00:00"))
    assert (report.overall.count, report.overall.bad, report.overall.finished) == (10, 3, 8)
    assert report.overall.median_lead_time == minutes(35)
    assert report.overall.median_recovery_time == timedelta(hours=25, minutes=40)
    assert [(s.scope, s.count, s.median_lead_time) for s in report.per_scope] == [
        ("api", 3, minutes(25)),
        ("shop", 7, minutes(45)),
    ]
    shop = insights.report(days=30, scope="shop", now=when(20, "00:00"))
    assert (shop.overall.count, shop.overall.median_recovery_time) == (7, timedelta(hours=24, minutes=37, seconds=30))
    # A shorter period leaves out what started before it.
    assert insights.report(days=7, now=when(20, "00:00")).overall.count == 3


def test_the_insights_page_draws_svg_charts_each_with_its_table(client, viewer):
    for made in series():
        event(made["action"], made["created_at"], scope=made["scope"], params=made["params"])
    client.force_login(viewer)
    with at(when(20, "00:00")):
        response = client.get(reverse("insights") + "?days=30")
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-stat="bad-share">38%<', html)
    assert re.search(r'data-stat="lead-time">35 min<', html)
    assert re.search(r'data-stat="recovery">25 h 40 min<', html)
    figures = re.findall(r"<figure.*?</figure>", html, re.S)
    assert len(figures) == 2
    for figure in figures:
        assert "<svg" in figure and "<rect" in figure
        assert "<details" in figure and "<table" in figure
        assert " style=" not in figure
    releases_figure = figures[0]
    assert len(re.findall(r'<rect class="chart-bar bar-succeeded" x=', releases_figure)) == 3  # three weeks had one
    rows = re.findall(r"<tr><td>(.*?)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", releases_figure)
    assert ("Mar 02", "3", "2", "0") in rows  # succeeded, failed, rolled back
    assert ">api<" in html and ">shop<" in html  # the per-target table


def test_the_period_and_the_target_are_taken_from_the_url(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("insights") + "?days=90&scope=shop")
    assert (response.context["report"].days, response.context["report"].scope) == (90, "shop")
    assert client.get(reverse("insights") + "?days=12345").context["report"].days == insights.DEFAULT_PERIOD


def test_a_chart_stacks_its_series_and_scales_to_a_round_top():
    chart = stacked_bars("Releases", "r", ["w1", "w2"], [("a", "Good", [3, 0]), ("b", "Bad", [1, 2])])
    assert nice_ceiling(4) == 5 and nice_ceiling(0) == 1 and nice_ceiling(11) == 20
    plot = chart.plot_bottom - chart.plot_top
    (good, bad_1, bad_2) = chart.bars
    assert (good.css_class, bad_1.css_class, bad_2.css_class) == ("a", "b", "b")
    assert good.height == pytest.approx(plot * 3 / 5, abs=0.1)
    assert bad_1.y + bad_1.height == pytest.approx(good.y, abs=0.1)  # stacked on top
    assert chart.table_head == ["Week", "Good", "Bad", "Total"]
    assert chart.table_rows == [["w1", "3", "1", "4"], ["w2", "0", "2", "2"]]


def test_a_count_axis_has_no_half_releases():
    chart = stacked_bars("Releases", "r", ["w1"], [("a", "Good", [4])])  # top 5: ticks 0 and 5 only
    assert [tick.text for tick in chart.y_ticks] == ["0", "5"]
    chart = stacked_bars("Releases", "r", ["w1"], [("a", "Good", [7])])  # top 10: 0, 5, 10
    assert [tick.text for tick in chart.y_ticks] == ["0", "5", "10"]
