"""The API's state endpoint under open-loop load: latency p50/p99 at 50 and 200 requests/s, with every read
audited and with the default audit of reads, the load average printed with each row.

    DATABASE_URL=postgres://…/dashboard_bench .venv/bin/python bench/api_latency.py [--seconds 10] [--rates 50,200]

Builds the tutorial's setup in the local sandbox AWS (in-process), tracks it and lets its deployment reach Ready, as
bench/console_polling.py does. Then serves the dashboard with gunicorn as the Procfile does (2 workers × 4 threads),
once auditing every read (API_AUDIT_READS=1), once auditing each token's first read of a minute (the default), and
sends GET /api/targets/{pk} with a read-only token at a fixed rate whatever the answers' speed (open loop: a slow
answer never delays the next request, and latency counts from when the request was due): the full snapshot, then
the 304 a client holding the current ETag gets.
Needs PostgreSQL, whose row lock on the audit chain's head is what auditing every read costs: a DATABASE_URL whose
database name contains "bench" (the bench empties it, and creates it if it is missing).
"""

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from common import ROOT, setup_django  # first: it sets the environment before Django loads


def create_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not parts.scheme.startswith("postgres") or "bench" not in name:
        sys.exit("Give a PostgreSQL DATABASE_URL whose database name contains 'bench' (the bench empties it).")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def ready_target(sandbox):
    from dashboard import aws
    from releases.tests.conftest import console_tutorial, deployment_status, poll_until
    from releases.worker.track import track_pipeline
    from sandbox.testing import SandboxClients

    tutorial = console_tutorial(SandboxClients(sandbox)).settle()
    target = track_pipeline(tutorial.pipeline, connection=aws.Connection.from_settings())
    tutorial.push_image()
    return poll_until(sandbox, target, deployment_status("Ready"), timeout=120, what="Ready")


def read_token():
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from api.models import ApiToken

    user = get_user_model().objects.create_user("bench-reader")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    return ApiToken.issue(user, name="bench", scope=ApiToken.READ, expires_at=timezone.now() + timedelta(days=1))[1]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_web(audit_reads):
    """gunicorn as the Procfile runs it, on its own port, reading the bench's database."""
    port = free_port()
    env = {**os.environ, "API_AUDIT_READS": "1" if audit_reads else "0", "API_RATE_LIMIT_PER_MINUTE": "1000000"}
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dashboard.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return web, port
        except OSError:
            time.sleep(0.1)
    web.terminate()
    sys.exit("gunicorn did not start")


class Client(threading.local):
    """One kept-alive connection per client thread, opened again when the server closed it."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def get(self, path, headers):
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.connection.request("GET", path, headers=headers)
                response = self.connection.getresponse()
                response.read()
                return response.status
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    return 0


def open_loop(port, path, headers, rate, seconds):
    """Requests due every 1/rate s from now on; each latency from when its request was due to its answer."""
    client, results = Client(port), []

    def one(due):
        status = client.get(path, headers)
        results.append((status, (time.perf_counter() - due) * 1000))

    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.perf_counter() + 0.05
        for number in range(int(rate * seconds)):
            due = start + number / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(one, due)
    return results


def p50_p99(values):
    """The nearest-rank percentiles (no interpolation between two answers)."""
    ordered = sorted(values) or [float("nan")]
    return tuple(ordered[min(len(ordered) - 1, int(len(ordered) * share))] for share in (0.50, 0.99))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each row's load (real seconds)")
    parser.add_argument("--rates", default="50,200", help="requests per second, comma-separated")
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    create_database(os.environ.get("DATABASE_URL", ""))
    os.environ["DEBUG"] = "false"

    from sandbox.testing import run_sandbox

    with run_sandbox(manual_clock=True) as sandbox:
        setup_django(sandbox.endpoint_url)
        from dashboard.audit import AuditEvent

        target = ready_target(sandbox)
        secret = read_token()
        print(f"Target {target.name} v{target.version}: deployment {target.latest_deployment().status}")
        print(f"{'reads audited':>13} {'answer':>6} {'req/s':>6} {'sent':>6} {'errors':>6} "
              f"{'p50 ms':>8} {'p99 ms':>8} {'audit rows':>10} {'load 1m':>8}")  # fmt: skip
        for audit_reads in (True, False):  # every read audited, then only each token's first read of each minute
            web, port = start_web(audit_reads)
            try:
                path = f"/api/targets/{target.pk}"
                auth = {"Authorization": f"Bearer {secret}"}
                open_loop(port, path, auth, 20, 1)  # warm up: connections, imports, first queries
                for answer, headers in (("full", auth), ("304", {**auth, "If-None-Match": f'"{target.version}"'})):
                    for rate in rates:
                        audited_before = AuditEvent.objects.count()
                        results = open_loop(port, path, headers, rate, args.seconds)
                        wanted = 200 if answer == "full" else 304
                        errors = sum(1 for status, _ in results if status != wanted)
                        p50, p99 = p50_p99([ms for _, ms in results])
                        rows = AuditEvent.objects.count() - audited_before
                        audit = "every" if audit_reads else "1st/minute"
                        print(f"{audit:>13} {answer:>6} {rate:>6.0f} {len(results):>6} {errors:>6} {p50:>8.1f} "
                              f"{p99:>8.1f} {rows:>10} {os.getloadavg()[0]:>8.2f}")  # fmt: skip
            finally:
                web.terminate()
                web.wait(timeout=30)


if __name__ == "__main__":
    main()
