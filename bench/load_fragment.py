"""Open-loop load on the release console: its status fragment unchanged (204), changed (200), and the page.

    DATABASE_URL=postgres://…/dash_bench REDIS_URL=redis://127.0.0.1:6379/4 \
        .venv/bin/python bench/load_fragment.py [--rates 50,100,200,400] [--seconds 10] [--workers 2 --threads 4]

Runs the stack as shipped, each its own process: the sandbox AWS in real time, a Celery worker and beat, and the
web server (gunicorn with --workers and --threads, as the Procfile's). The tutorial's setup is made by hand (plain
boto3), tracked, and a new image's deployment left in its ready wait: an active target, refreshed every second.

Then, for each kind and rate, requests arrive at that rate whatever the answers do (open loop: as many viewers'
polls as that, each on its own connection), for --seconds, alternately as a viewer and as an operator:
  unchanged  the fragment with the version the browser holds: 204
  changed    the fragment with an older version, while the version moves every second as during a traffic
             shift: 200 with the whole console
  page       the console's page, while the version moves every second
Latency runs from when a request was due to when its answer ended; an error is a connection refused or reset,
no answer within --timeout, or a status other than the one expected. The load average (1 minute) is read as each
row ends; web CPU, the web processes' CPU time per answer served, is the figure others' work on the machine moves
least. DATABASE_URL's name must contain "bench" (the bench empties it); with no REDIS_URL, the demo's broker
and cache.
"""

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, setup_django  # first: it sets the environment before Django loads
from live_lag import VENV_BIN, Processes, _answers, _healthy, free_port, settle_live, wait_until

EXPECTED = {"unchanged": 204, "changed": 200, "page": 200}


async def fetch(port, path, cookie, timeout):
    """One GET on a new connection: (status, None) or (None, what went wrong)."""
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n"
                f"HX-Request: true\r\nConnection: close\r\n\r\n".encode()
            )
            status_line = await reader.readline()
            await reader.read()  # to the end: the answer is whole
        return int(status_line.split()[1]), None
    except TimeoutError:
        return None, "timeout"
    except (OSError, IndexError, ValueError) as error:
        return None, type(error).__name__
    finally:
        if writer is not None:
            writer.close()


async def open_loop(port, paths, cookies, rate, seconds, timeout):
    """Requests due every 1/rate s for `seconds`, none waiting for another; (latency ms, status, error) each."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    results = []

    async def one(number, due):
        status, error = await fetch(port, paths(), cookies[number % len(cookies)], timeout)
        results.append(((loop.time() - due) * 1000, status, error))

    tasks = []
    for number in range(int(rate * seconds)):
        due = start + number / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(one(number, due)))
    await asyncio.gather(*tasks)
    return results


class VersionMover(threading.Thread):
    """Bumps the target's version every second, as a refresh does while traffic shifts (or only reads it)."""

    def __init__(self, target_pk, move):
        super().__init__(daemon=True)
        self.target_pk, self.move = target_pk, move
        self.stop = threading.Event()
        self.version = self.read()

    def read(self):
        from releases.models import ReleaseTarget

        return ReleaseTarget.objects.values_list("version", flat=True).get(pk=self.target_pk)

    def run(self):
        from django.db.models import F

        from releases.models import ReleaseTarget

        while not self.stop.wait(1.0 if self.move else 0.2):
            if self.move:
                ReleaseTarget.objects.filter(pk=self.target_pk).update(version=F("version") + 1)
            self.version = self.read()


def web_processes(master_pid):
    """The web server's processes, its master and workers: (pid, the fields of /proc/<pid>/stat after the name)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if master_pid in (int(stat.parent.name), int(fields[1])):
            yield int(stat.parent.name), fields


def web_cpu_seconds(master_pid):
    """CPU time (user + system) the web server's processes have used so far."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in web_processes(master_pid))  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def web_memory_mib(master_pid):
    """The web server's resident memory, all its processes together."""
    pages = sum(int(Path(f"/proc/{pid}/statm").read_text().split()[1]) for pid, _ in web_processes(master_pid))
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def measure(kind, rate, args, port, target, cookies, web_pid):
    cpu_before = web_cpu_seconds(web_pid)
    mover = VersionMover(target.pk, move=kind != "unchanged")
    mover.start()
    live, page = f"/releases/{target.pk}/live/", target.get_absolute_url()

    def paths():
        if kind == "page":
            return page
        return f"{live}?v={mover.version if kind == 'unchanged' else 0}"

    try:
        results = asyncio.run(open_loop(port, paths, cookies, rate, args.seconds, args.timeout))
    finally:
        mover.stop.set()
        mover.join()
    cpu = web_cpu_seconds(web_pid) - cpu_before  # the answers still queued when the row ends are not counted
    good = [ms for ms, status, _ in results if status == EXPECTED[kind]]
    errors = len(results) - len(good)
    other = sorted({str(status or error) for _, status, error in results if status != EXPECTED[kind]})
    return {
        "kind": kind,
        "rate": rate,
        "served": len(good) / args.seconds,
        "p50": percentile(good, 0.5),
        "p99": percentile(good, 0.99),
        "errors": 100 * errors / len(results),
        "cpu_ms": 1000 * cpu / len(good) if good else float("nan"),
        "other": ",".join(other)[:30],
        "load": os.getloadavg()[0],
    }


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # so that the processes it started stop too
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200,400", help="requests per second, comma-separated")
    parser.add_argument("--kinds", default="unchanged,changed,page")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each row")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before an unanswered request fails")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's web processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn's threads per process")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # this process's sign-ins too, not only the processes'

    work = Path(tempfile.mkdtemp(prefix="load-fragment-"))
    os.environ["VAR_DIR"] = str(work / "var")
    sandbox_port, web_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{sandbox_port}"
    settings = {"DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONPATH": str(ROOT)}
    processes = Processes({**os.environ, **settings, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1"}, work)
    try:
        processes.start("sandbox", sys.executable, "-m", "sandbox", "--port", str(sandbox_port), "--speed", "1")
        from sandbox.testing import SandboxClient

        wait_until(lambda: _healthy(SandboxClient(endpoint)), 30, "the sandbox")
        setup_django(endpoint)
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        rows = run(args, processes, SandboxClient(endpoint), web_port)
    finally:
        processes.stop()
    print_table(args, rows)
    print(f"(logs in {work})")


def run(args, processes, sandbox, web_port):
    from dashboard import aws
    from releases.tests.conftest import console_tutorial
    from releases.worker.track import track_pipeline
    from sandbox.testing import SandboxClients

    tutorial = console_tutorial(SandboxClients(sandbox), ready_wait_minutes=30, termination_wait_minutes=60)
    settle_live(tutorial)
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    celery, level = str(VENV_BIN / "celery"), processes.env["LOG_LEVEL"]
    processes.start("worker", celery, "-A", "dashboard", "worker", "--loglevel", level, "--concurrency", "2")
    processes.start("beat", celery, "-A", "dashboard", "beat", "--loglevel", level)
    web = processes.start(
        "web", str(VENV_BIN / "gunicorn"), "dashboard.wsgi", "--bind", f"127.0.0.1:{web_port}",
        "--workers", str(args.workers), "--threads", str(args.threads),
    )  # fmt: skip
    wait_until(lambda: _answers(f"http://127.0.0.1:{web_port}"), 30, "the web server")
    tutorial.push_image()

    def in_ready_wait():
        target.refresh_from_db()
        deployment = target.latest_deployment()
        return target.active and deployment is not None and deployment.status == "Ready"

    wait_until(in_ready_wait, 120, "the new deployment's ready wait", every=0.5)
    cookies = [_session("bench-viewer", "viewer"), _session("bench-operator", "operator")]
    rows = []
    for kind in args.kinds.split(","):
        for rate in (int(r) for r in args.rates.split(",")):
            drain(web_port, target, cookies[0])
            rows.append(measure(kind, rate, args, web_port, target, cookies, web.pid))
            row = rows[-1]
            print(f"  {kind} {rate}/s: p99 {row['p99']:.0f} ms, {row['errors']:.0f} % errors", flush=True)
    args.memory = web_memory_mib(web.pid)
    return rows


def drain(port, target, cookie, within=0.1, longest=90):
    """Wait until what the last row left queued is served: an unchanged fragment answers within `within` s."""
    deadline = time.monotonic() + longest
    path = f"/releases/{target.pk}/live/?v={VersionMover(target.pk, move=False).version}"
    while time.monotonic() < deadline:
        started = time.monotonic()
        status, _ = asyncio.run(fetch(port, path, cookie, timeout=5))
        if status == 204 and time.monotonic() - started < within:
            return
        time.sleep(0.5)


def print_table(args, rows):
    from django.conf import settings

    print()
    print(
        f"{os.cpu_count()} cores; gunicorn {args.workers} workers x {args.threads} threads, "
        f"{args.memory:.0f} MiB resident after the rows; "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; cache "
        f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}; {args.seconds:.0f} s a row, "
        f"timeout {args.timeout:.0f} s"
    )
    print(
        f"{'answer':<10} {'rate/s':>6} {'served/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7} {'web CPU':>8} "
        f"{'load':>5}  other"
    )
    for row in rows:
        print(
            f"{row['kind']:<10} {row['rate']:>6} {row['served']:>8.0f} {row['p50']:>7.0f} {row['p99']:>7.0f} "
            f"{row['errors']:>6.0f}% {row['cpu_ms']:>5.1f} ms {row['load']:>5.2f}  {row['other']}"
        )
    mean_load = statistics.mean(row["load"] for row in rows)
    print(
        f"(web CPU: the web processes' CPU time per answer served; load: the load average, 1 min, as each row "
        f"ended, mean {mean_load:.2f})"
    )


def _session(username, role):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


if __name__ == "__main__":
    main()
