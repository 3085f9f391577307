"""AWS calls per minute for one active target while 0, 1 and 50 people watch its console.

    .venv/bin/python bench/fan_in.py [--seconds 60] [--viewers 0 1 50] [--no-events]

Runs the real pieces as `make demo` does, each its own process: the sandbox AWS in real time, a Celery worker and
beat, the events listener (unless --no-events), and gunicorn (2 workers × 4 threads). The tutorial's setup is made
by hand and tracked; an image push starts a release whose deployment then waits for a reroute (an active target
that stays active). Each viewer is a signed-in client polling the console's live fragment as the page does. For
each number of viewers the bench counts the dashboard's AWS calls (the sandbox counts them) over --seconds, and
prints them in one table with the memory of every process.
"""

import argparse
import signal
import sys
import threading
import time
import urllib.request
from collections import Counter

from common import memory_mib, table  # first: it sets the environment before Django loads
from live_lag import _session, free_port, settle_live, start_dashboard, wait_until, with_sandbox


def calls(sandbox):
    return Counter({f"{s}.{op}": n for s, ops in sandbox.calls().items() for op, n in ops.items()})


class Viewers:
    """`count` signed-in clients, each asking for the live fragment every `every` seconds, as the page does."""

    def __init__(self, url, cookie, count, every):
        self.url, self.cookie, self.every = url, cookie, every
        self.stop, self.answers = threading.Event(), Counter()
        self.threads = [threading.Thread(target=self._watch, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def _watch(self):
        headers = {"Cookie": f"sessionid={self.cookie}", "HX-Request": "true"}
        request = urllib.request.Request(self.url, headers=headers)  # noqa: S310 - local URL
        while not self.stop.wait(self.every):
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local URL
                    self.answers[response.status] += 1
            except OSError:
                self.answers["error"] += 1

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long each count of viewers is measured")
    parser.add_argument("--viewers", type=int, nargs="+", default=[0, 1, 50])
    parser.add_argument("--no-events", action="store_true", help="no events rule nor listener: polling alone")
    args = parser.parse_args()

    with_sandbox("fan-in-", lambda processes, sandbox: run(args, processes, sandbox, free_port()))


def run(args, processes, sandbox, web_port):
    from django.conf import settings
    from django.core.management import call_command
    from django.urls import reverse

    from dashboard import aws
    from releases.tests.conftest import console_tutorial
    from releases.worker.track import track_pipeline
    from sandbox.testing import SandboxClients

    boto = SandboxClients(sandbox)
    tutorial = console_tutorial(boto, ready_wait_minutes=30, termination_wait_minutes=60)
    settle_live(tutorial)
    if not args.no_events:
        call_command("events_rule")
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())

    start_dashboard(processes, events=not args.no_events, web_port=web_port)
    base = f"http://127.0.0.1:{web_port}"

    tutorial.push_image()
    wait_until(lambda: any(d["status"] == "Ready" for d in tutorial.deployments()), 120, "the deployment to be Ready")

    def shown_ready():
        target.refresh_from_db()
        deployment = target.latest_deployment()
        return target.active and deployment is not None and deployment.status == "Ready"

    wait_until(shown_ready, 60, "the console to show the deployment Ready", every=0.5)
    time.sleep(5)  # the refreshes that followed the change
    url = base + reverse("release-target-live", args=[target.pk])
    cookie = _session()
    rows, by_operation = [], {}
    for count in args.viewers:
        viewers = Viewers(url, cookie, count, settings.RELEASES_PAGE_POLL_SECONDS)
        time.sleep(3)
        before, started = calls(sandbox), time.monotonic()
        time.sleep(args.seconds)
        made, minutes = calls(sandbox) - before, (time.monotonic() - started) / 60
        viewers.close()
        answered = sum(n for status, n in viewers.answers.items() if status == 200)
        by_operation[count] = {op: n / minutes for op, n in made.items()}
        rows.append([count, f"{sum(made.values()) / minutes:.1f}", f"{answered / minutes:.0f}"])
    print()
    print(f"one active target (deployment waiting for a reroute), {'polling only' if args.no_events else 'events'}")
    print(table(["viewers", "AWS calls/min", "pages answered/min"], rows))
    operations = sorted({op for ops in by_operation.values() for op in ops})
    print()
    per_operation = [[op] + [f"{by_operation[c].get(op, 0):.1f}" for c in args.viewers] for op in operations]
    print(table(["operation (calls/min)", *args.viewers], per_operation))
    print()
    print(table(["process", "memory (MiB)"], [[name, f"{memory_mib(p.pid):.0f}"] for name, p, _ in processes.running]))


if __name__ == "__main__":
    main()
