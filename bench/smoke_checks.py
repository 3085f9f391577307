"""What smoke checks and the deployment group's alarms add, per active target: AWS calls a minute and worker time.

    .venv/bin/python bench/smoke_checks.py [--seconds 60] [--count 30] [--interval 2] [--alarms 2]

Runs the local sandbox AWS in-process (manual clock), builds the tutorial's setup by hand (plain boto3), tracks it,
pushes an image and lets the deployment reach Ready (an active target that stays active). Then, for --seconds of
real time each, it refreshes the target once a second as beat does while it is active: first as it is, then with
--alarms CloudWatch alarms on its deployment group and a smoke check run going (--count attempts, --interval
seconds apart, against the test listener as the sandbox serves it on a local port), each attempt made when due as
the worker's task would make it.
Prints the AWS calls a minute by operation for both, the worker time of a refresh, and the worker time of the
attempts (wall clock, most of it waiting for the answer, and CPU).
Uses DATABASE_URL if set (its name must contain "bench": the bench empties it), else a throwaway SQLite file.
"""

import argparse
import time
from collections import Counter

from common import setup_django, table  # first: it sets the environment before Django loads


def calls(sandbox):
    return Counter({f"{s}.{op}": n for s, ops in sandbox.calls().items() for op, n in ops.items()})


class Meter:
    """Wall-clock and CPU seconds spent in what it times, and how often."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self.times = 0

    def time(self, work):
        wall, cpu = time.perf_counter(), time.thread_time()
        result = work()
        self.wall += time.perf_counter() - wall
        self.cpu += time.thread_time() - cpu
        self.times += 1
        return result

    def each_ms(self):
        return (1000 * self.wall / self.times, 1000 * self.cpu / self.times) if self.times else (0.0, 0.0)


def measure(sandbox, target, seconds, run=None):
    """Refresh once a second for `seconds`, making the run's attempts when due: calls a minute, and the meters."""
    from django.utils import timezone

    from releases.models import SmokeRun
    from releases.worker import polling, smoke_runs

    refreshes, attempts = Meter(), Meter()
    before, started = calls(sandbox), time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        refreshes.time(lambda: polling.refresh(target.pk))
        if run is not None:
            due = SmokeRun.objects.filter(pk=run.pk, status__in=SmokeRun.open_statuses(), next_at__lte=timezone.now())
            if due.exists():
                attempts.time(lambda: smoke_runs.attempt(run.pk))
        time.sleep(max(0.0, int(elapsed) + 1 - (time.monotonic() - started)))
    minutes = (time.monotonic() - started) / 60
    made = calls(sandbox) - before
    return {op: n / minutes for op, n in made.items()}, refreshes, attempts, minutes


def add_alarms(boto, tutorial, count):
    from releases.tests.conftest import put_alarm

    names = [f"bench-alarm-{n}" for n in range(count)]
    for name in names:
        put_alarm(boto, name)
    boto.codedeploy.update_deployment_group(
        applicationName=tutorial.application,
        currentDeploymentGroupName=tutorial.group,
        alarmConfiguration={"enabled": True, "alarms": [{"name": name} for name in names]},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long each of the two is measured")
    parser.add_argument("--count", type=int, default=30, help="attempts of the smoke check")
    parser.add_argument("--interval", type=int, default=2, help="seconds between attempts")
    parser.add_argument("--alarms", type=int, default=2, help="CloudWatch alarms on the deployment group")
    args = parser.parse_args()

    from sandbox.testing import run_sandbox

    with run_sandbox(manual_clock=True) as sandbox:
        setup_django(sandbox.endpoint_url)
        from dashboard import aws, jobs
        from releases.models import ReleaseTarget, SmokeSettings
        from releases.tests.conftest import console_tutorial
        from releases.tests.smoke_server import check
        from releases.worker import alarms, polling, smoke_runs
        from releases.worker.track import track_pipeline
        from sandbox.testing import SandboxClients

        jobs.enqueue = lambda *args, **kwargs: None  # no broker here: the bench makes each attempt when it is due

        boto = SandboxClients(sandbox)
        tutorial = console_tutorial(boto).settle()
        target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
        tutorial.push_image()
        for _ in range(60):
            sandbox.advance(5)
            polling.refresh(target.pk)
            target.refresh_from_db()
            if target.latest_deployment() and target.latest_deployment().status == "Ready":
                break
        print(f"deployment {target.latest_deployment().deployment_id} {target.latest_deployment().status}")
        plain, plain_refreshes, _, _ = measure(sandbox, target, args.seconds)

        served = {lis["port"]: lis["local_url"] for lb in sandbox.load_balancers() for lis in lb["listeners"]}
        add_alarms(boto, tutorial, args.alarms)
        ReleaseTarget.objects.filter(pk=target.pk).update(group_read_at=None)  # the group is read again at once
        spec = check(json_field="status", json_value="ok", timeout=5, count=args.count, interval=args.interval)
        SmokeSettings.objects.create(target=target, test_url=served[target.test_port], checks=[spec])
        run = smoke_runs.start_due(target)
        checked, refreshes, attempts, minutes = measure(sandbox, target, args.seconds, run)
        run.refresh_from_db()
        print(f"smoke check run: {run.status}, {len(run.results)} attempts {run.reason}".rstrip())

    print()
    print(f"one active target (waiting for a reroute), refreshed every second, {args.seconds:.0f} s each")
    operations = sorted(set(plain) | set(checked))
    rows = [[op, f"{plain.get(op, 0):.1f}", f"{checked.get(op, 0):.1f}"] for op in operations]
    rows.append(["total", f"{sum(plain.values()):.1f}", f"{sum(checked.values()):.1f}"])
    print(table(["AWS calls/min", "as it is", f"{args.alarms} alarms + smoke checks"], rows))
    print(
        f"  (steady state: DescribeAlarms every {alarms.STATES_EVERY[True].seconds} s while a release moves, every "
        f"{alarms.STATES_EVERY[False].seconds // 60} min idle; GetDeploymentGroup every "
        f"{alarms.GROUP_EVERY.seconds // 60} min, here also once at the start; smoke checks call no AWS API)"
    )
    print()
    wall, cpu = attempts.each_ms()
    plain_wall, plain_cpu = plain_refreshes.each_ms()
    refresh_wall, refresh_cpu = refreshes.each_ms()
    print(
        table(
            ["worker time", "wall ms", "CPU ms"],
            [
                ["a refresh, as it is", f"{plain_wall:.1f}", f"{plain_cpu:.1f}"],
                ["a refresh, with alarms and checks", f"{refresh_wall:.1f}", f"{refresh_cpu:.1f}"],
                [f"a smoke check attempt ({attempts.times} made)", f"{wall:.1f}", f"{cpu:.1f}"],
                [
                    "smoke check attempts, per minute",
                    f"{1000 * attempts.wall / minutes:.0f}",
                    f"{1000 * attempts.cpu / minutes:.0f}",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
